// A Next.js app without `next build`: a Node http server that hands each request to an
// `@auth0/nextjs-auth0` v4 `Auth0Client` the way Next's `proxy.ts` (middleware) does.
//
// A real Next 16 app (proxy.js calling `auth0.middleware(request)`, one page) costs about 90 s
// to `next build` plus 4 s to `next start` on the 2-core CI machine; this costs nothing and runs
// the same SDK code: `middleware(NextRequest)` answers the `/auth/*` routes and, for any other
// path, returns `NextResponse.next()`, after which Next renders the page with the cookies the
// middleware set. Here `page(request)` plays the page.

import http from "node:http";
import { NextRequest } from "next/server.js";

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
