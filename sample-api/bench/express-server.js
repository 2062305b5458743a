// The tutorial's own stack, for comparison: Express + express-oauth2-jwt-bearer validating
// the same tokens from the same mock-idp. Installed from npm by run.sh into a temp dir.
const express = require("express");
const { auth } = require("express-oauth2-jwt-bearer");

const app = express();
const checkJwt = auth({
  audience: process.env.AUDIENCE,
  issuerBaseURL: process.env.ISSUER_BASE_URL,
  tokenSigningAlg: "RS256",
});

app.get("/api/external", checkJwt, (req, res) => {
  res.send({ msg: "Your access token was successfully validated!" });
});

// JSON errors in the same shape as sample-api, so both answer comparable bodies.
app.use((err, req, res, next) => {
  res
    .status(err.status || 500)
    .set(err.headers || {})
    .json({ error: err.code || "error", error_description: err.message });
});

app.listen(Number(process.env.PORT), "127.0.0.1");
