"""What colours a user sees in part of a page: the element's screenshot, decoded by the browser itself
(a canvas in a blank page of the same browser; no image library needed)."""

from __future__ import annotations

import base64

from playwright.sync_api import Locator

CLASSIFY = """async (data) => {
  const image = new Image();
  image.src = "data:image/png;base64," + data;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = {green: 0, red: 0, amber: 0, total: 0};
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
    counts.total += 1;
    if (g > 90 && g > r + 30 && g > b + 20) counts.green += 1;
    else if (r > 120 && g < 80 && b < 80) counts.red += 1;
    else if (r > 110 && g >= 60 && g < 170 && b < 70 && r > g) counts.amber += 1;
  }
  return counts;
}"""


def colours(locator: Locator) -> dict[str, int]:
    """How many pixels of the element are green, red and amber (and in all), as shown on screen."""
    png = locator.screenshot(animations="disabled", caret="hide")
    blank = locator.page.context.new_page()
    try:
        return blank.evaluate(CLASSIFY, base64.b64encode(png).decode())
    finally:
        blank.close()


def only(locator: Locator, colour: str) -> dict[str, int]:
    """The colour counts, after checking that `colour` shows in the element (at least 5 % of it)
    and the other two named colours nowhere."""
    counts = colours(locator)
    assert counts[colour] >= counts["total"] * 0.05, counts
    for other in {"green", "red", "amber"} - {colour}:
        assert counts[other] == 0, counts
    return counts
