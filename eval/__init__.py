"""trialsift.eval: the gold labels (gold/) and the collected pages they describe (pages/), shipped
as package data for `trialsift eval` (see README.md here). The scripts beside them are labelling
tools run from a checkout."""
