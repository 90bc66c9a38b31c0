"""SAML 2.0 sign-in and step-up (pysaml2): attest is the service provider of one IdP.

The IdP's metadata file, and the SP's own key and certificate, come from configuration
(SAML_IDP_METADATA, SAML_SP_KEY, SAML_SP_CERT); with no metadata file SAML is off. The SP's
metadata is at /saml/metadata. What a verified assertion says is handed to the common
sign-in layer (attest.sso) as an ``Authentication``.
"""
