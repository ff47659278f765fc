"""Fonts for the PDFs, so accented and non-Latin names print as typed.

DejaVu Sans covers Latin with every accent, Greek, Cyrillic, Hebrew, Arabic and more; Droid Sans
Fallback covers Chinese and Japanese, Nanum Gothic Korean. Reportlab does not fall back from one
font to another by itself, so `markup` wraps each run of characters DejaVu lacks in the first
fallback font that has them. The Docker image installs all three (fonts-dejavu-core,
fonts-droid-fallback, fonts-nanum); without the system's DejaVu the copy bundled with matplotlib
is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

TRUETYPE = Path("/usr/share/fonts/truetype")
MAIN_FONTS = {
    "DejaVuSans": TRUETYPE / "dejavu/DejaVuSans.ttf",
    "DejaVuSans-Bold": TRUETYPE / "dejavu/DejaVuSans-Bold.ttf",
}
FALLBACK_FONTS = {
    "DroidSansFallback": TRUETYPE / "droid/DroidSansFallbackFull.ttf",
    "NanumGothic": TRUETYPE / "nanum/NanumGothic.ttf",
}


@dataclass(frozen=True)
class PdfFonts:
    regular: str
    bold: str
    covered: frozenset[int]  # code points the regular font has a glyph for
    fallbacks: tuple[tuple[str, frozenset[int]], ...]  # (font name, its code points), in order

    def font_for(self, char: str) -> str | None:
        """The fallback font to set `char` in, or None for the main font."""
        code = ord(char)
        if code in self.covered or char == "\n":
            return None
        return next((name for name, codes in self.fallbacks if code in codes), None)


def _register(name: str, path: Path) -> TTFont | None:
    if not path.exists():
        return None
    font = TTFont(name, str(path))
    pdfmetrics.registerFont(font)
    return font


def _bundled(name: str, path: Path) -> Path:
    """The system's DejaVu file, else the copy matplotlib ships (the same font), so a machine
    without the font packages still prints accented names."""
    if path.exists():
        return path
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / path.name


@cache
def pdf_fonts() -> PdfFonts:
    regular, bold = (_register(name, _bundled(name, path)) for name, path in MAIN_FONTS.items())
    if regular is None or bold is None:
        return PdfFonts("Helvetica", "Helvetica-Bold", frozenset(range(256)), ())
    fallbacks = tuple(
        (name, frozenset(font.face.charToGlyph))
        for name, path in FALLBACK_FONTS.items()
        if (font := _register(name, path)) is not None
    )
    return PdfFonts("DejaVuSans", "DejaVuSans-Bold", frozenset(regular.face.charToGlyph), fallbacks)


def markup(text: str) -> str:
    """Plain text as reportlab paragraph markup: escaped, line breaks kept, and every run of
    characters the main font lacks set in a fallback font that has them."""
    fonts = pdf_fonts()
    out: list[str] = []
    run: list[str] = []
    current: str | None = None

    def flush() -> None:
        if run:
            chunk = escape("".join(run)).replace("\n", "<br/>")
            out.append(f'<font face="{current}">{chunk}</font>' if current else chunk)
            run.clear()

    for char in text:
        font = fonts.font_for(char)
        if font != current:
            flush()
            current = font
        run.append(char)
    flush()
    return "".join(out)
