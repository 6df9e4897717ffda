"""Opens a modelvet gate's web page in a real headless Chromium (driven by
Playwright, with the system's browser: no browser download) and reports what
a reviewer sees; run by crates/server/tests/browser.rs, which asserts.

    python browser.py GATE_URL TOKEN CHROMIUM
"""
import json
import sys

from playwright.sync_api import sync_playwright

gate, token, chromium = sys.argv[1], sys.argv[2], sys.argv[3]
out = {"dialogs": [], "console_errors": []}

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page()
    # Any script run by injected markup would open a dialog or log an error.
    page.on("dialog", lambda d: (out["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: m.type == "error" and out["console_errors"].append(m.text))

    # Not signed in: the page sends the reviewer to the login form.
    page.goto(f"{gate}/ui/repos/acme/evil")
    out["login_url"] = page.url
    out["login_heading"] = page.inner_text("h1")
    out["login_has_token_field"] = page.locator("input#token[type=password]").count() == 1

    # A wrong token is refused with a message.
    page.fill("#token", "mvg_0000")
    page.click("button[type=submit]")
    out["bad_login_url"] = page.url
    out["bad_login_message"] = page.inner_text("#login-error") if page.locator("#login-error").count() else None

    # The right token: back to the repository page asked for.
    page.fill("#token", token)
    page.click("button[type=submit]")
    out["after_login_url"] = page.url
    out["signed_in_as"] = page.inner_text("#who")
    out["cookies"] = [
        {"name": c["name"], "httpOnly": c["httpOnly"], "sameSite": c["sameSite"], "path": c["path"]}
        for c in page.context.cookies()
    ]
    out["document_cookie"] = page.evaluate("document.cookie")

    rows = []
    for row in page.locator("#files tr.file").all():
        cells = row.locator("td").all()
        rows.append({
            "path": row.get_attribute("data-path"),
            "sha256": cells[1].inner_text().strip(),
            "verdict": cells[2].inner_text().strip(),
            "findings": cells[3].inner_text().strip(),
            "rule_links": [
                {"text": a.inner_text(), "href": a.get_attribute("href")} for a in row.locator("a.rule").all()
            ],
        })
    out["files"] = rows

    # Follow the rule link as a reviewer would (it leaves the gate: only its address is checked).
    page.click("text=Audit log")
    out["audit_url"] = page.url
    out["audit_rows"] = [
        [c.inner_text().strip() for c in r.locator("td").all()] for r in page.locator("#audit tr.entry").all()
    ]

    page.goto(f"{gate}/ui/repos/acme/hostile")
    out["hostile_findings"] = page.inner_text("#files")
    out["hostile_script_elements"] = page.locator("script").count()

    page.click("text=Quarantine")
    out["quarantine"] = page.inner_text("#audit")

    page.click("text=Sign out")
    out["after_logout_url"] = page.url
    page.goto(f"{gate}/ui")
    out["after_logout_goto"] = page.url
    browser.close()

print(json.dumps(out))
