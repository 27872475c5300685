"""Who may use the Other Transactions page: one place for views, the API and templates."""

VIEW = "transactions.view_transaction"
RETRIEVE = "transactions.retrieve_transaction"
POST = "transactions.post_transaction"
# Binding a SKU to a NetSuite item is mapping data (connector admins), then a retry (POST).
BIND_SKU = "connector.change_itembinding"
