"""trialsift: noisy clinical-trial documents in, a clean, grounded, queryable trial database out."""
