"""Referral routing: the standard operating procedure of para 20 (DOMAIN §0.3) as versioned data.

`facts` says what routing may read (and what it never may), `rules` loads and validates a rule
file with the line of every fault, `router` turns facts and unit loads into an explained
`Decision`. All three are pure; `maxim.store.workflow_access` stores referrals and decisions.
"""
