"""Sign-in through the organisation's identity provider (OpenID Connect, SAML): the common
layer that every protocol hands an :class:`~attest.sso.identity.Authentication` to."""
