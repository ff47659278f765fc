"""Names in any script print in the PDFs: the fonts are embedded and each glyph has a font."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from programs.exports.fonts import FALLBACK_FONTS, MAIN_FONTS, markup, pdf_fonts

needs_fonts = pytest.mark.skipif(
    not all(path.exists() for path in [*MAIN_FONTS.values(), *FALLBACK_FONTS.values()]),
    reason="the PDF fonts are not installed (the Docker image has them)",
)


@needs_fonts
def test_latin_greek_and_cyrillic_stay_in_the_main_font():
    assert markup("Zoë Łukasiewicz-Ñúñez, Σοφία, Анна <b>") == (
        "Zoë Łukasiewicz-Ñúñez, Σοφία, Анна &lt;b&gt;"
    )


@needs_fonts
def test_characters_the_main_font_lacks_are_set_in_a_fallback():
    assert markup("Dr 王芳 & さくら\n김민준") == (
        'Dr <font face="DroidSansFallback">王芳</font> &amp; '
        '<font face="DroidSansFallback">さくら</font><br/>'
        '<font face="NanumGothic">김민준</font>'
    )


@needs_fonts
def test_a_pdf_with_a_chinese_name_embeds_both_fonts():
    fonts = pdf_fonts()
    out = io.BytesIO()
    style = ParagraphStyle("body", fontName=fonts.regular)
    SimpleDocTemplate(out).build([Paragraph(markup("Zoë 王芳 김민준"), style)])
    pdf = out.getvalue()
    assert b"DejaVuSans" in pdf
    assert b"DroidSansFallback" in pdf
    assert b"NanumGothic" in pdf
