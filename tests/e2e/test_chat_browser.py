"""The chat in a real browser (Debian chromium + Playwright): full page and website widget."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.integration.chat.servers import ChatServer

from .conftest import HostPage, Visit

WATCH_LENGTHS = """() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const all = document.querySelectorAll('.message-content');
    if (all.length) window.__lengths.push(all[all.length - 1].innerText.length);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def ask(page, question: str) -> None:  # noqa: ANN001
    """Type a question and send it, as soon as the chat accepts input."""
    box = page.locator("#chat-input")
    expect(box).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Smartphones in de klas").first).to_be_visible(timeout=20_000)
    box.click()
    box.type(question)
    send = page.locator("#chat-submit")
    expect(send).to_be_enabled(timeout=10_000)
    send.click()


def test_starter_question_streams_an_answer_whose_citation_opens_the_source(
        e2e_server: ChatServer, visit: Visit) -> None:
    page = visit.page
    page.goto(e2e_server.url)
    starter = page.get_by_text("Huiswerk op de basisschool")
    expect(starter).to_be_visible(timeout=20_000)
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", "Stel je vraag over onderwijs en onderzoek…")
    visit.shot("chat-welcome.png")
    page.evaluate(WATCH_LENGTHS)

    t0 = time.perf_counter()
    starter.click()
    link = page.locator("a.element-link", has_text="[1]").first
    expect(link).to_be_visible(timeout=10_000)
    seconds = time.perf_counter() - t0
    answer_shot = visit.shot("chat-answer.png")
    assert seconds < 2.0, f"answer with [1] link took {seconds:.2f} s"
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) > 3, "the answer grows on screen while it streams"

    link.click()
    # Chainlit 2.12 opens the panel with all sources when they arrive; [1] narrows it to one
    expect(page.locator("#side-view-title")).to_have_text("[1]", timeout=5_000)
    side = page.locator("#side-view-content")
    expect(side).to_be_visible(timeout=5_000)
    expect(side).to_contain_text("Kennisrotonde-antwoord")
    expect(side.locator("blockquote")).to_be_visible()
    visit.shot("chat-source-panel.png")
    print(f"\ntime to answer with [1] link: {seconds:.2f} s; screenshot: {answer_shot}")
    assert visit.outside == [], visit.outside
    assert not visit.errors, visit.errors


def test_html_and_outside_images_in_a_document_stay_inert(e2e_server: ChatServer,
                                                         visit: Visit) -> None:
    page = visit.page
    page.goto(e2e_server.url)
    ask(page, "Helpt een schoolmoestuin bij leesplezier?")
    expect(page.locator("a.element-link", has_text="[1]").first).to_be_visible(timeout=10_000)
    side = page.locator("#side-view-content")
    for n in range(1, 6):  # open the sources in turn until the hostile document shows
        page.locator("a.element-link", has_text=f"[{n}]").first.click()
        expect(page.locator("#side-view-title")).to_have_text(f"[{n}]", timeout=5_000)
        if "schoolmoestuin" in side.inner_text():
            break
    expect(side).to_contain_text("schoolmoestuin")
    expect(side).to_contain_text("<script>window.__pwned = 1;</script>")
    expect(side).to_contain_text("![teller](https://tracker.example/pixel.png)")
    visit.shot("chat-hostile-document.png")
    assert page.evaluate("window.__pwned") is None, "no script from a document ran"
    assert page.locator("img[src*='tracker.example']").count() == 0
    assert visit.outside == [], f"the browser contacted other hosts: {visit.outside}"


def test_widget_on_the_example_host_page_opens_answers_and_shows_sources(
        e2e_server: ChatServer, host_page: HostPage, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{host_page.origin}/index.html?chat={e2e_server.url}")
    button = page.locator("#chainlit-copilot-button")
    expect(button).to_be_visible(timeout=20_000)
    button.click()
    ask(page, "Werkt een verbod op smartphones in de klas?")
    link = page.locator("a.element-link", has_text="[1]").first
    expect(link).to_be_visible(timeout=10_000)
    visit.shot("widget-answer.png")
    link.click()
    expect(page.get_by_text("Lees het volledige document").first).to_be_visible(timeout=5_000)
    visit.shot("widget-source.png")
    assert visit.outside == [], visit.outside
