from tests.idps.fixtures import oidc_idp, saml_idp  # noqa: F401 - the real IdP processes
