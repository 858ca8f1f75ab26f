// What the loader does in Firefox ESR, driven by puppeteer-core over WebDriver BiDi (tests/test_loader_firefox.py).
// Usage: node firefox.mjs FIREFOX '{"plain": URL, "hidden": URL, "react": URL, "coep": URL}'
// Prints one JSON object: what each host page showed, for the Python test to judge.
import puppeteer from "puppeteer-core";

const [executablePath, pagesJson] = process.argv.slice(2);
const pages = JSON.parse(pagesJson);

// The loader's own wait for a frame that loaded without a word, and a little more.
const FALLBACK_MS = 3500;

/** The iframes of the page, the links' visibility, and what the widget told the page (its HEARD script). */
async function state(page) {
  return page.evaluate(() => ({
    frames: document.querySelectorAll("iframe").length,
    linkShown: [...document.querySelectorAll("a.pledge-widget")].some(a => a.getClientRects().length > 0),
    heard: window.heard || [],
    height: document.querySelector("iframe") ? document.querySelector("iframe").getBoundingClientRect().height : null,
  }));
}

/** The height of the widget's page inside the first iframe. */
async function contentHeight(page) {
  const frame = await (await page.$("iframe")).contentFrame();
  await frame.waitForSelector("#signon, #count");
  return frame.evaluate(() => Math.ceil(document.body.getBoundingClientRect().height));
}

const heardHello = page => page.waitForFunction(() => window.heard && window.heard.length > 0, { timeout: 15000 });
const heardHeight = page => page.waitForFunction(() => window.heard && window.heard.some(h => h > 0), { timeout: 15000 });

const scenarios = {
  async plain(page) {
    await heardHeight(page);
    return { ...(await state(page)), content: await contentHeight(page) };
  },
  async hidden(page) {
    await heardHello(page);
    await new Promise(resolve => setTimeout(resolve, FALLBACK_MS));
    const whileHidden = await state(page);
    await page.evaluate(() => document.getElementById("tab").style.display = "block");
    await heardHeight(page);
    return { whileHidden, shown: await state(page), content: await contentHeight(page) };
  },
  async react(page) {
    const errors = [];
    page.on("pageerror", error => errors.push(String(error)));
    await heardHeight(page);
    const first = await state(page);
    await page.evaluate(() => document.querySelector("nav button").click());  // Home
    await page.waitForFunction(() => document.body.textContent.includes("Welcome to our school"), { timeout: 5000 });
    const home = await state(page);
    await page.evaluate(() => { window.heard = []; document.querySelectorAll("nav button")[1].click(); });  // back
    await heardHeight(page);
    return { first, home, back: await state(page), content: await contentHeight(page), errors };
  },
  async coep(page) {
    await heardHeight(page);
    return { ...(await state(page)), content: await contentHeight(page) };
  },
};

const browser = await puppeteer.launch({ browser: "firefox", executablePath, headless: true });
const results = {};
try {
  for (const [name, url] of Object.entries(pages)) {
    const page = await browser.newPage();
    try {
      await page.goto(url, { waitUntil: "load" });
      results[name] = await scenarios[name](page);
    } catch (error) {
      results[name] = { failed: String(error) };
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
