// A browser without a browser: an HTTP client with a cookie jar that follows redirects, signs
// in on the mock's real login page, accepts its consent page and submits `form_post` pages
// the way their script would. The SDKs under test see the same requests a browser sends.

import { CookieJar } from "tough-cookie";

const entities = { "&amp;": "&", "&quot;": '"', "&#39;": "'", "&#x27;": "'", "&lt;": "<", "&gt;": ">" };
const unescape = (s) => s.replace(/&(amp|quot|#39|#x27|lt|gt);/g, (e) => entities[e]);

/** The first `<form>` of a page: its method, absolute action and named inputs. */
export function parseForm(html, pageUrl) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const attr = (tag, name) => {
    const m = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, "i").exec(tag);
    return m ? unescape(m[2] ?? m[3]) : undefined;
  };
  const fields = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(input[0], "name");
    if (name !== undefined) fields[name] = attr(input[0], "value") ?? "";
  }
  return {
    method: (attr(form[1], "method") ?? "get").toUpperCase(),
    action: new URL(attr(form[1], "action") ?? pageUrl, pageUrl).toString(),
    fields,
  };
}

export class Browser {
  constructor() {
    this.jar = new CookieJar();
    /** Every URL this browser requested, in order. */
    this.history = [];
  }

  /** One request, no redirects followed; cookies sent and stored. */
  async fetch(url, { method = "GET", form, headers = {} } = {}) {
    this.history.push(`${method} ${url}`);
    const cookie = await this.jar.getCookieString(url);
    const res = await fetch(url, {
      method,
      redirect: "manual",
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      await this.jar.setCookie(line, url, { ignoreError: true });
    }
    return res;
  }

  /** Follows redirects like a browser (303 and 302 after a POST become GETs). */
  async navigate(url, init = {}) {
    let res = await this.fetch(url, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get("location"), url).toString();
      const keep = res.status === 307 || res.status === 308;
      url = next;
      res = await this.fetch(url, keep ? init : {});
    }
    return { url, status: res.status, headers: res.headers, body: await res.text() };
  }

  /**
   * Starts at `url` (usually the app's login route) and plays the user: signs in on the
   * mock's login page, accepts consent, and submits `form_post` pages, until a page that is
   * none of these. Returns that last page.
   */
  async login(url, { username = "alice@example.com", password = "password" } = {}) {
    let page = await this.navigate(url);
    for (let steps = 0; steps < 10; steps++) {
      const form = parseForm(page.body, page.url);
      if (!form || form.method !== "POST") return page;
      if (form.action.endsWith("/u/login")) {
        page = await this.navigate(form.action, {
          method: "POST",
          form: { ...form.fields, username, password, action: "login" },
        });
      } else if (form.action.endsWith("/u/consent")) {
        page = await this.navigate(form.action, { method: "POST", form: { ...form.fields, decision: "accept" } });
      } else if (isAutoSubmit(page.body)) {
        page = await this.navigate(form.action, { method: "POST", form: form.fields });
      } else {
        return page;
      }
    }
    throw new Error(`login did not settle; last page ${page.url}`);
  }
}

/** A `response_mode=form_post` page: a form its own script submits on load. */
function isAutoSubmit(html) {
  return /\.submit\(\)|onload=/i.test(html);
}
