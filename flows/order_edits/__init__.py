"""What both order-edit flows share (this package declares no flow of its own):

- lines.py: the order as Shopify says it should be now (wanted) and as the NetSuite sales order
  holds it (held), each line addressed by its *line key* (the Shopify line item id, with a
  component SKU for a bundle's components), the plan that turns one into the other with
  `replaceAll="false"`, and the fingerprint both directions keep to recognise their own echo;
- lock.py: the fulfilment lock (seed 004): whether NetSuite still lets an edit apply by itself;
- reviews.py: the exception queue's verbs (open a review; apply anyway, dismiss with a reason,
  create an adjustment), called by the flows, the page and the API alike.
"""
