"""Networks: the evidence graph, networks with stable ids, key nominals, roles, evidence paths, deconfliction."""
