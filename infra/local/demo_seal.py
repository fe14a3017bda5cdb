"""The demo municipality's official seal (公印): a square red seal with the office's name, drawn with
the mincho font that ships in the build (a stand-in for a real seal image, which a municipality uploads
through ``POST /seals``)."""

from __future__ import annotations

import io

SIZE = 360


def seal_png(text: str = "益城町長之印") -> bytes:
    """A transparent PNG: a red double frame and the text in two columns, read top-down, right first."""
    from PIL import Image, ImageDraw, ImageFont
    from victim_support.documents.fonts import MINCHO_FILE

    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (196, 30, 36, 235)
    draw.rectangle((12, 12, SIZE - 12, SIZE - 12), outline=red, width=14)
    draw.rectangle((34, 34, SIZE - 34, SIZE - 34), outline=red, width=4)
    columns = [text[: (len(text) + 1) // 2], text[(len(text) + 1) // 2:]]
    font = ImageFont.truetype(str(MINCHO_FILE), 88)
    for column, x in zip(columns, (SIZE - 140, 52), strict=True):
        for row, char in enumerate(column):
            draw.text((x, 50 + row * 90), char, font=font, fill=red)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
