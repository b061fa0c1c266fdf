//! Webhook deliveries in the panels: the operator's Webhooks page, the
//! reseller's own deliveries and test event.
