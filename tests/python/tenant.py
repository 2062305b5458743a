"""The suite's tenant and the credentials of its clients.

The default tenant (``sample-m2m`` with the Management API, alice and bob, password
``password``) plus a backend client and an API with permissions that no user holds yet, so a
test can see a role assigned through the Management API reach a token.
"""

TENANT = """
include_default_tenant = true

[[apis]]
identifier = "https://reports"
name = "Reports"
permissions = ["read:reports", "write:reports"]
rbac = true

[[clients]]
client_id = "python-backend"
app_type = "regular_web"
client_secret = "python-backend-secret"
callbacks = ["http://localhost:8000/callback"]
grants = [{ audience = "https://reports", scopes = ["read:reports"] }]
"""

BACKEND_ID = "python-backend"
BACKEND_SECRET = "python-backend-secret"
M2M_ID = "sample-m2m"
M2M_SECRET = "sample-m2m-secret"
REALM = "Username-Password-Authentication"
