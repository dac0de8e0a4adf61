"""Training one leave-one-subject-out fold, a protocol's split or a final model."""
