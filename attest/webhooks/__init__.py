"""Webhooks: endpoints an organisation registers for memo events, signed deliveries
(Standard Webhooks), retried by the worker, with a delivery log."""
