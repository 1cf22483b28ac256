// The README's Agents Playground walkthrough, played by a headless browser: a Stage 1 IR from
// Alex's Playground to Adele's and back, with a screenshot at each step.
//
// Not part of `make test`: it needs Chromium and playwright-core, which the project does not
// install. Run it against `make run` (Alex, Megan and Adele's Playgrounds) on a store where the
// demo child below is Alex's and has no open IR, e.g. a freshly seeded one:
//
//   npm install --prefix /tmp/pw playwright-core        # once, outside the repo
//   PLAYWRIGHT_CORE=/tmp/pw/node_modules/playwright-core node scripts/playground_walkthrough.mjs
//
// Settings (environment): PLAYWRIGHT_CORE (where playwright-core is; default: resolved from
// here), CHROMIUM (default /usr/bin/chromium), OUT (screenshots; default
// /tmp/iro-playground-walkthrough), CHILD (default "Reza Karimi": one of Alex's children whose
// social worker is Megan). Exits 1, naming the step, when something expected does not appear.
//
// The three Playgrounds are opened first and kept open: a Playground page shows only what
// arrives while it is open (a reload starts an empty chat), as a Teams client that was offline
// would not.

import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

const OUT = process.env.OUT || "/tmp/iro-playground-walkthrough";
const CHILD = process.env.CHILD || "Reza Karimi";
const PORTS = { alex: 56150, megan: 56151, adele: 56152 }; // bot/cli/playground.py: port_for
const WAIT = 30_000; // one bot turn, or one proactive delivery, on a loaded 2-core machine

mkdirSync(OUT, { recursive: true });
let shot = 0;
let step = "starting";

async function screenshot(page, name) {
  shot += 1;
  const path = join(OUT, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path });
  console.log(`  screenshot ${path}`);
}

async function open(context, who) {
  const page = await context.newPage();
  const url = `http://127.0.0.1:${PORTS[who]}`;
  for (let tries = 1; ; tries += 1) {
    try {
      await page.goto(url);
      break;
    } catch (error) {
      // A Playground takes a few seconds to listen after `make run` prints its address.
      if (tries === 30) throw error;
      await page.waitForTimeout(2000);
    }
  }
  // The bot's welcome card: the Playground has installed the bot and the bot has answered.
  await page.getByText("I'm iro-bot").first().waitFor({ timeout: WAIT });
  return page;
}

async function say(page, text, expect) {
  const box = page.locator('[data-lexical-editor="true"]');
  await box.click();
  await box.fill(text);
  await page.keyboard.press("Enter");
  await page.getByText(expect).last().waitFor({ timeout: WAIT });
}

async function press(page, title) {
  await page.getByRole("button", { name: title, exact: true }).last().click();
}

// The IR's cards in a chat, oldest first (each Adaptive Card the Playground renders).
function cards(page, reference) {
  return page.locator(".ac-adaptiveCard", { hasText: `Issues Resolution ${reference}` });
}

// "Cards stay true": an earlier copy of the card is edited in place. Checked without stopping
// the walkthrough, and reported at the end.
const notMet = [];
async function stayedTrue(check, locator) {
  try {
    await locator.waitFor({ timeout: 10_000 });
    console.log(`  met: ${check}`);
  } catch {
    console.log(`  NOT MET: ${check}`);
    notMet.push(check);
  }
}

function begin(name) {
  step = name;
  console.log(`- ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });

  begin("open Megan's, Adele's and Alex's Playgrounds");
  const megan = await open(context, "megan");
  const adele = await open(context, "adele");
  const alex = await open(context, "alex");
  await screenshot(alex, "alex-welcome");

  begin(`Alex raises an IR for ${CHILD} at Stage 1`);
  await say(alex, `raise an IR for ${CHILD}`, "Why are you raising an IR about");
  await say(alex, "1", "Describe the issue in your own words");
  await say(alex, "The care plan does not say how contact with his brother will be kept up.",
    "At which stage?");
  await say(alex, "stage 1", "Raise this IR?");
  await screenshot(alex, "alex-confirm");
  await press(alex, "Raise the IR");
  await alex.getByText("Waiting for Adele Vance (team manager)").last().waitFor({ timeout: WAIT });
  const reference = (await alex.getByText(/^Issues Resolution IR-\d{4}-\d+$/).last().innerText())
    .replace("Issues Resolution ", "");
  console.log(`  raised ${reference}`);
  await screenshot(alex, "alex-raised");

  begin("Adele receives the card; Megan the notice");
  await adele.getByText(`Issues Resolution ${reference}`).last().waitFor({ timeout: WAIT });
  await adele.getByRole("button", { name: "Agree and respond" }).last().waitFor({ timeout: WAIT });
  await screenshot(adele, "adele-card");
  await megan.getByText(reference).last().waitFor({ timeout: WAIT });
  await screenshot(megan, "megan-notice");

  begin("Adele agrees and responds");
  await press(adele, "Agree and respond");
  await adele.getByLabel("What will be done to put things right").last()
    .fill("The social worker will add a contact plan for his brother by Friday.");
  await press(adele, "Send response");
  await adele.getByText("agreed and responded on").last().waitFor({ timeout: WAIT });
  await screenshot(adele, "adele-responded");

  begin("Alex's card updates: Accept and resolve, Escalate, Refer to Cafcass");
  const alexCards = cards(alex, reference);
  await alexCards.last().getByText("Adele Vance agreed and responded on")
    .waitFor({ timeout: WAIT });
  for (const title of ["Accept and resolve", "Escalate", "Refer to Cafcass"]) {
    await alexCards.last().getByRole("button", { name: title, exact: true })
      .waitFor({ timeout: WAIT });
  }
  await stayedTrue("Alex's first card, edited in place, has his three buttons",
    alexCards.first().getByRole("button", { name: "Accept and resolve", exact: true }));
  console.log(`  Alex's chat holds ${await alexCards.count()} copies of the ${reference} card`);
  await screenshot(alex, "alex-card-updated");

  begin("Alex accepts and resolves");
  await press(alex, "Accept and resolve");
  await alex.getByLabel("The outcome: how the issue was resolved").last()
    .fill("Contact plan added to the care plan; agreed at the review.");
  await press(alex, "Resolve");
  await alexCards.last().getByText(/^Resolved on /).waitFor({ timeout: WAIT });
  await screenshot(alex, "alex-resolved");

  begin("Adele's chat shows the IR resolved");
  await adele.getByText(`${reference} about ${CHILD} was resolved on`).last()
    .waitFor({ timeout: WAIT });
  await stayedTrue("Adele's card, edited in place, shows the IR resolved",
    cards(adele, reference).first().getByText(/^Resolved on /));
  await stayedTrue("Alex's first card, edited in place, shows the IR resolved",
    alexCards.first().getByText(/^Resolved on /));
  await screenshot(adele, "adele-resolved");

  if (notMet.length) {
    console.log(`Walkthrough done: ${reference} raised, answered and resolved, but cards did ` +
      `not all stay true (earlier copies not edited in place):`);
    for (const check of notMet) console.log(`  NOT MET: ${check}`);
    process.exitCode = 1;
  } else {
    console.log(`Walkthrough done: ${reference} raised, answered and resolved; every copy of ` +
      `its card edited in place. Screenshots: ${OUT}`);
  }
} catch (error) {
  console.error(`Walkthrough failed at "${step}": ${error.message.split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
