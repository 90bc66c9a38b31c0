"""The outbox: what leaves attest (mails, webhooks) is written here in the transaction of
the change that caused it, and delivered by ``attest worker``, never inside a request."""
