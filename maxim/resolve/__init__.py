"""Entity resolution: Person mentions into canonical entities, explained, under analyst judgements."""
