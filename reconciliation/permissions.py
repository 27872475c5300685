VIEW = "reconciliation.view_variance"
RUN = "reconciliation.run_reconciliation"
