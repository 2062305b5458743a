// A Next.js app without `next build`: a Node http server that hands each request to an
// `@auth0/nextjs-auth0` v4 `Auth0Client` the way Next's `proxy.ts` (middleware) does.
//
// A real Next 16 app (proxy.js calling `auth0.middleware(request)`, one page) costs 80-90 s
// to `next build` plus 4 s to `next start` on the 2-core CI machine; this costs nothing and runs
// the same SDK code: `middleware(NextRequest)` answers the `/auth/*` routes and, for any other
// path, returns `NextResponse.next()`, after which Next renders the page with the cookies the
// middleware set. Here `page(request)` plays the page. `startNextjsAuth0` puts a mock, an app
// and its Auth0Client together, as every nextjs-auth0 suite wants them.

import assert from "node:assert/strict";
import http from "node:http";
import { Auth0Client } from "@auth0/nextjs-auth0/server";
import { NextRequest, NextResponse } from "next/server.js";
import { Browser } from "./browser.mjs";
import { startMock } from "./mock.mjs";

/**
 * Listens on a free port; requests go to `app()`'s current middleware, so the Auth0Client can
 * be made once the port (its `appBaseUrl`) is known.
 *
 * @param {() => { middleware: (req: NextRequest) => Promise<Response>, page: (req: NextRequest) => Promise<Response> }} app
 */
export async function serveNextApp(app) {
  const server = http.createServer(async (req, res) => {
    try {
      const request = await toNextRequest(req, origin);
      const { middleware, page } = app();
      let response = await middleware(request);
      if (response.headers.get("x-middleware-next") === "1") {
        const rendered = await page(request);
        response = withCookies(rendered, response.headers.getSetCookie());
      }
      await send(response, res);
    } catch (error) {
      // The SDK answers its own errors; reaching here is a bug in the suite or the SDK.
      res.writeHead(500, { "content-type": "text/plain" }).end(`app crashed: ${error.stack}`);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://localhost:${server.address().port}`;
  return {
    /** `http://localhost:<port>`: the app's base URL. */
    origin,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

async function toNextRequest(req, origin) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of [value].flat()) headers.append(name, v);
  }
  return new NextRequest(new URL(req.url, origin), { method: req.method, headers, body });
}

function withCookies(response, cookies) {
  const merged = new Response(response.body, response);
  for (const cookie of cookies) merged.headers.append("set-cookie", cookie);
  return merged;
}

async function send(response, res) {
  const headers = {};
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie" && !name.startsWith("x-middleware-")) headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

export const API = "https://sample-api";
export const CLIENT_ID = "nextjs-app";
export const CLIENT_SECRET = "nextjs-app-secret";

/**
 * A mock with one regular web app, and that app: an `Auth0Client` configured as Auth0's Next.js
 * quickstart does (a client secret, the API's audience, offline access) plus `options`, served
 * by [`serveNextApp`] with a page that says who is signed in.
 *
 * @param {object} [setup]
 * @param {number} [setup.tokenLifetime] the API's access-token lifetime, seconds
 * @param {string} [setup.client] more TOML lines for the app's `[[clients]]` entry; `${app}` in them becomes the app's origin
 * @param {object} [setup.options] more `Auth0Client` options
 */
export async function startNextjsAuth0({ tokenLifetime = 300, client = "", options = {} } = {}) {
  let auth0;
  const app = await serveNextApp(() => ({ middleware: (req) => auth0.middleware(req), page: home }));
  const idp = await startMock({
    config: `
[[apis]]
identifier = "${API}"
permissions = ["read:messages"]
token_lifetime = ${tokenLifetime}

[[clients]]
client_id = "${CLIENT_ID}"
app_type = "regular_web"
client_secret = "${CLIENT_SECRET}"
callbacks = ["${app.origin}/auth/callback"]
allowed_logout_urls = ["${app.origin}"]
${client.replaceAll("${app}", app.origin)}
`,
  });
  auth0 = new Auth0Client({
    domain: idp.origin,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    secret: "a-32-character-cookie-secret-for-the-suites",
    appBaseUrl: app.origin,
    // The SDK refuses http:// and localhost domains without it; it has no environment variable.
    allowInsecureRequests: true,
    authorizationParameters: { audience: API, scope: "openid profile email offline_access read:messages" },
    ...options,
  });

  /** The app's one page, as an App Router page calling `auth0.getSession()` renders it. */
  async function home(req) {
    const session = await auth0.getSession(req);
    return new NextResponse(session ? `signed in as ${session.user.email}` : "signed out", {
      headers: { "content-type": "text/plain" },
    });
  }

  return {
    idp,
    auth0,
    /** `http://localhost:<port>`: the app. */
    origin: app.origin,
    /** The app's session for this browser, as the SDK reads it from its cookies. */
    async sessionOf(browser) {
      const cookie = await browser.jar.getCookieString(app.origin);
      return auth0.getSession(new NextRequest(app.origin, { headers: { cookie } }));
    },
    /** A browser signed in as alice through `/auth/login` and the mock's login page. */
    async signedIn() {
      const browser = new Browser();
      const page = await browser.login(`${app.origin}/auth/login`);
      assert.equal(page.body, "signed in as alice@example.com", `login ended at ${page.url}`);
      return browser;
    },
    async stop() {
      await app.stop();
      await idp.stop();
    },
  };
}
