"""HTML as doc generators and sites serve it: furniture left out, structure kept, FAQ questions heading answers."""
from __future__ import annotations

import re

import pytest

from rag.corpus import load_corpus
from rag.passages import split_corpus

# Small pages in the style of each family, with the furniture each generator puts around content.
SPHINX = """<!DOCTYPE html><html><head><title>Programming FAQ — Python 3.11 documentation</title></head><body>
<div class="mobile-nav"><nav class="nav-content" role="navigation"><a href="../index.html">Python</a></nav></div>
<div class="related" role="navigation" aria-label="related navigation"><h3>Navigation</h3><ul>
<li class="right"><a href="../genindex.html" title="General Index">index</a></li>
<li class="right"><a href="../py-modindex.html">modules</a> |</li><li><a href="../index.html">Python</a> &#187;</li>
<li class="nav-item"><a href="index.html">Python Frequently Asked Questions</a> &#187;</li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="programming-faq"><h1><a class="toc-backref" href="#id1">Programming FAQ</a><a class="headerlink" href="#programming-faq" title="Permalink">¶</a></h1>
<nav class="contents" id="contents"><p class="topic-title">Contents</p><ul class="simple">
<li><p><a class="reference internal" href="#copying">How do I copy an object?</a></p></li></ul></nav>
<section id="copying"><h2><a class="toc-backref" href="#id2">How do I copy an object?</a><a class="headerlink" href="#copying">¶</a></h2>
<p>In general, try copy.copy() or copy.deepcopy() for the general case.<a class="footnote-reference brackets" href="#f1" id="r1">1</a> Not all objects can be copied.</p>
<p>Some objects can be copied more easily. Dictionaries have a copy() method:</p>
<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="c1"># make a shallow copy</span>
<span class="n">newdict</span> <span class="o">=</span> <span class="n">olddict</span><span class="o">.</span><span class="n">copy</span><span class="p">()</span>
</pre></div></div>
<p>Sequences can be copied by slicing, which works for these types:</p>
<ul class="simple"><li><p>lists</p></li><li><p>tuples</p></li><li><p>strings</p></li></ul>
<div class="admonition note"><p class="admonition-title">Note</p><p>A shallow copy shares the objects inside the container with the original.</p></div>
<dl class="py function"><dt class="sig sig-object py" id="copy.copy"><span class="sig-prename">copy.</span><span class="sig-name">copy</span>(<em>x</em>)<a class="headerlink" href="#copy.copy">¶</a></dt>
<dd><p>Return a shallow copy of x.</p><p>The copy is a new compound object holding references to the originals.</p></dd></dl>
<aside class="footnote brackets" id="f1"><span class="label">1</span><p>The copy module also handles class instances.</p></aside>
</section></section></div></div></div>
<div class="sphinxsidebar" role="navigation" aria-label="main navigation"><div class="sphinxsidebarwrapper">
<h3><a href="../contents.html">Table of Contents</a></h3><ul><li><a href="#">Programming FAQ</a></li></ul>
<div role="note" aria-label="source link"><h3>This Page</h3><ul class="this-page-menu">
<li><a href="../bugs.html">Report a Bug</a></li><li><a href="../_sources/faq/programming.rst.txt">Show Source</a></li></ul></div>
</div></div></div>
<div class="footer">&copy; Copyright 2001-2024, Python Software Foundation. Created using Sphinx 5.3.0.</div>
</body></html>"""

DOCBOOK = """<html><head><title>Chapter 4. Authentication</title></head><body>
<div class="navheader"><table width="100%" summary="Navigation header"><tr><th colspan="3">Chapter 4. Authentication</th></tr>
<tr><td><a accesskey="p" href="ch03.html">Prev</a></td><th></th><td><a accesskey="n" href="ch05.html">Next</a></td></tr></table><hr/></div>
<div class="chapter"><div class="titlepage"><h1 class="title"><a id="ch04"></a>Chapter 4. Authentication</h1></div>
<div class="toc"><p><strong>Table of Contents</strong></p><dl class="toc"><dt><span class="section"><a href="#s1">4.1. Normal Unix authentication</a></span></dt>
<dt><span class="section"><a href="#s2">4.2. Good password</a></span></dt></dl></div>
<div class="section"><div class="titlepage"><h2 class="title"><a id="s1"></a>4.1. Normal Unix authentication</h2></div>
<p>Normal Unix authentication is provided by the pam_unix module.</p>
<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p>Login name</p></li><li class="listitem"><p>Numerical user ID</p></li></ul></div>
<div class="note"><table border="0" summary="Note"><tr><td rowspan="2"><img alt="[Note]" src="images/note.png"/></td><th>Note</th></tr>
<tr><td><p>The file /etc/gshadow is not really used.</p></td></tr></table></div>
<div class="variablelist"><dl class="variablelist"><dt><span class="term">passwd</span></dt><dd><p>manage the password of the account</p></dd>
<dt><span class="term">chage</span></dt><dd><p>manage password aging information</p></dd></dl></div>
<pre class="screen">$ id
# cat /etc/passwd
uid=1000(penguin)</pre>
<p>The second entry was the encrypted password.<sup>[<a id="id1" href="#ftn.id1" class="footnote">1</a>]</sup></p>
</div>
<div class="section"><div class="titlepage"><h2 class="title"><a id="s2"></a>4.2. Good password</h2></div>
<p>Choose a password of at least eight characters.</p></div></div>
<div class="navfooter"><hr/><table width="100%" summary="Navigation footer"><tr><td><a href="ch03.html">Prev</a></td><td><a href="index.html">Home</a></td>
<td><a href="ch05.html">Next</a></td></tr><tr><td>Chapter 3. The system initialization</td><td></td><td>Chapter 5. Network setup</td></tr></table></div>
</body></html>"""

ASCIIDOC = """<html><head><title>gitfaq(7)</title></head><body class="manpage">
<div id="header"><h1>gitfaq(7) Manual Page</h1></div>
<div id="toc"><div id="toctitle">Table of Contents</div><a href="#_configuration">Configuration</a></div>
<div id="content"><div class="sect1"><h2 id="_configuration">Configuration</h2><div class="sectionbody"><div class="dlist"><dl>
<dt class="hdlist1" id="user-name">What should I put in user.name?</dt>
<dd><p>You should put your personal name, generally a form using a given name and family name.</p>
<p>This does not affect authenticating to remote services.</p></dd>
<dt class="hdlist1">How do I configure a different editor?</dt>
<dd><p>Set the core.editor configuration value, for example:</p>
<div class="listingblock"><div class="content"><pre>$ git config --global core.editor nano</pre></div></div></dd>
</dl></div></div></div>
<div class="sect1"><h2 id="_hooks">Hooks</h2><div class="sectionbody"><div class="paragraph"><p>Hooks run on the local machine only.</p></div></div></div></div>
<div id="footnotes"><hr></div><div id="footer"><div id="footer-text">Last updated 2024-05-31 00:35:55 UTC</div></div>
</body></html>"""

HANDWRITTEN_FAQ = """<html><head><title>Kite FAQ</title></head><body>
<div class="menu mainmenu"><ul><li><a href="index.html">Home</a><li><a href="about.html">About</a><li><a href="shop.html">Shop</a></ul></div>
<h2>Frequently Asked Questions</h2>
<ol><li><a href="#q1">How strong must the wind be?</a></li><li><a href="#q2">Can I fly a kite in the rain?</a></li>
<li><a href="#q3">What string should I use?</a></li></ol>
<a name="q1"></a><p><b>(1) How strong must the wind be?</b></p>
<blockquote><p>A steady wind of fifteen kilometres an hour lifts most kites.</p></blockquote>
<a name="q2"></a><p><b>(2) Can I fly a kite in the rain?</b></p>
<blockquote><p>Never fly in rain or near power lines: a wet string conducts electricity.</p></blockquote>
<p><strong>What string should I use?</strong></p>
<p>Braided polyester line of about fifty kilograms breaking strain suits most single-line kites.</p>
<p align="center"><small><i>This page last modified on 2024-01-02 10:11:12 UTC</i></small></p>
</body></html>"""

ASPNET = """<!DOCTYPE html><html><head><title>Orchids | Garden Club</title></head><body>
<form method="post" action="./Article.aspx?id=42" id="form1">
<div class="aspNetHidden"><input type="hidden" name="__VIEWSTATE" value="/wEPDwUKLTE2NjY4NzYxMmRk" /></div>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><div class="logo">Garden Club</div><nav><ul><li><a href="/">Home</a></li><li><a href="/club">Club news</a></li></ul></nav></header>
<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/plants">Plants</a></li><li>Orchids</li></ol>
<div class="container"><div class="row">
<main id="main"><article><h1>Caring for Orchids</h1>
<p>Orchids like bright, indirect light and should never stand in water.</p>
<h2>Watering</h2><ul><li>Water once a week in summer.<ul><li>Less in winter.</li></ul></li><li>Let the bark dry out between waterings.</li></ul>
</article></main>
<aside class="sidebar"><h3>Popular posts</h3><ul><li><a href="/roses">Roses</a></li></ul></aside>
</div></div>
<footer><p>Garden Club 2024 · Privacy</p></footer>
</form></body></html>"""


def _load(tmp_path, name: str, page: str):
    (tmp_path / name).write_text(page, encoding="utf-8")
    [doc] = load_corpus(tmp_path)
    return doc, split_corpus([doc])


def _no_furniture(passages, *furniture: str):
    for p in passages:
        for text in furniture:
            assert text not in p.text, f"furniture {text!r} in passage {p.text!r}"
        assert len(p.text.strip()) >= 15 or re.search(r"[.!?]$", p.text.strip()), f"label-only passage {p.text!r}"


def test_sphinx_page(tmp_path):
    doc, passages = _load(tmp_path, "programming.html", SPHINX)
    body = doc.text
    assert "¶" not in body and "»" not in body
    for chrome in ("Show Source", "Report a Bug", "Table of Contents", "This Page", "Navigation", "Copyright",
                   "index", "modules"):
        assert chrome not in body, chrome
    assert "Contents" not in body and "- How do I copy" not in body, "the contents list is left out"
    assert "# Programming FAQ\n" in body and "## How do I copy an object?\n" in body
    assert "for the general case. Not all objects can be copied." in body, "the footnote marker is dropped"
    assert "- lists\n\n- tuples\n\n- strings" in body, "<li><p> keeps its list marker"
    assert "```\n# make a shallow copy\nnewdict = olddict.copy()\n```" in body, "code keeps its lines, fenced"
    assert "### copy.copy(x)" in body, "a signature with a long definition heads it"
    assert "\n\nThe copy module also handles class instances." in body, "a footnote's text stays, without its number"
    sections = {p.section for p in passages}
    assert sections <= {"How do I copy an object?", "How do I copy an object? > copy.copy(x)"}, sections
    code = next(p for p in passages if "newdict" in p.text)
    assert "Dictionaries have a copy() method:\n\n```\n# make a shallow copy" in code.text, "a lead-in keeps its code"
    assert code.section == "How do I copy an object?"
    names = next(p for p in passages if "tuples" in p.text)
    assert "Sequences can be copied by slicing, which works for these types:\n\n- lists" in names.text, \
        "a lead-in keeps its list of bare names"
    note = next(p for p in passages if "shallow copy shares" in p.text)
    assert note.text.startswith("Note"), "an admonition's label stays with its text"
    _no_furniture(passages, "Show Source", "¶")


def test_docbook_page(tmp_path):
    doc, passages = _load(tmp_path, "ch04.html", DOCBOOK)
    body = doc.text
    for chrome in ("Prev", "Next", "Home", "Table of Contents", "Chapter 3.", "Chapter 5.", "[Note]"):
        assert chrome not in body, chrome
    assert body.count("4.1. Normal Unix authentication") == 1, "the chapter's table of contents is left out"
    assert "- Login name\n\n- Numerical user ID" in body
    assert "- passwd: manage the password of the account" in body, "a term stays with its definition"
    assert "```\n$ id\n# cat /etc/passwd\nuid=1000(penguin)\n```" in body
    assert "The second entry was the encrypted password.\n" in body, "the footnote marker is dropped"
    assert not any(p.section.endswith("cat /etc/passwd") for p in passages), "a '# ' line in code is not a heading"
    assert {p.section for p in passages} == {"4.1. Normal Unix authentication", "4.2. Good password"}
    assert any(p.text.startswith("Note") and "gshadow" in p.text for p in passages)
    _no_furniture(passages, "Prev", "Table of Contents")


def test_asciidoc_faq_questions_head_their_answers(tmp_path):
    doc, passages = _load(tmp_path, "gitfaq.html", ASCIIDOC)
    assert "Table of Contents" not in doc.text and "Last updated" not in doc.text
    by_section = {}
    for p in passages:
        by_section.setdefault(p.section, []).append(p.text)
    name = by_section["Configuration > What should I put in user.name?"]
    assert name[0].startswith("You should put your personal name")
    editor = by_section["Configuration > How do I configure a different editor?"]
    assert "core.editor nano" in editor[0], "a lead-in keeps the code it introduces"
    assert by_section["Hooks"] == ["Hooks run on the local machine only."], "content after the list is back in its section"
    assert not any("What should I put" in p.text for p in passages), "a question is a heading, never a passage"


def test_handwritten_faq_with_bold_questions(tmp_path):
    doc, passages = _load(tmp_path, "faq.html", HANDWRITTEN_FAQ)
    assert "Home" not in doc.text and "About" not in doc.text
    assert doc.text.count("Can I fly a kite in the rain?") == 1, "the list of links to the questions is left out"
    sections = {p.section: p.text for p in passages}
    assert sections["Frequently Asked Questions > (1) How strong must the wind be?"].startswith("A steady wind")
    assert sections["Frequently Asked Questions > (2) Can I fly a kite in the rain?"].startswith("Never fly in rain")
    assert sections["Frequently Asked Questions > What string should I use?"].startswith("Braided polyester")
    assert all("?" not in p.text for p in passages), "no passage restates a question"


def test_aspnet_page_in_a_form(tmp_path):
    doc, passages = _load(tmp_path, "orchids.html", ASPNET)
    body = doc.text
    for chrome in ("VIEWSTATE", "Skip to", "Club news", "Plants", "Popular posts", "Roses", "Privacy", "Garden Club"):
        assert chrome not in body, chrome
    assert doc.title == "Orchids | Garden Club"
    assert "- Water once a week in summer.\n\n  - Less in winter.\n\n- Let the bark dry out" in body, "nested lists"
    assert [p.section for p in passages] == ["", "Watering", "Watering", "Watering"]


def test_a_page_with_only_a_main_element_keeps_it_whole(tmp_path):
    page = "<html><body><main><h2>Tea</h2><p>Green tea steeps for two minutes.</p></main></body></html>"
    doc, passages = _load(tmp_path, "tea.html", page)
    assert [p.text for p in passages] == ["Green tea steeps for two minutes."]


@pytest.mark.parametrize("page", ["<div>" * 50_000 + "x", "<ul><li>a" * 20_000, "<dl><dt>q?<dd>" * 10_000,
                                  "<table><tr><td>" * 10_000 + "x", "<b>" * 50_000 + "t"])
def test_hostile_nesting_is_bounded(tmp_path, page):
    import time

    from rag.html_text import html_to_markdown
    started = time.perf_counter()
    text, _ = html_to_markdown(page)
    assert time.perf_counter() - started < 20
    assert len(text) < 2_000_000


ACCORDION = """<html><head><title>Shipping</title></head><body><main><h1>Shipping help</h1>
<details><summary>How long does delivery take?</summary><p>Parcels arrive within three working days.</p></details>
<div class="faq-item"><div class="faq-question">Do you ship abroad?</div>
<div class="faq-answer"><p>We ship to every country of the European Union.</p></div></div>
<p>Questions not answered here go to the help desk by e-mail.</p>
</main></body></html>"""


def test_faq_accordion_questions_head_their_answers(tmp_path):
    doc, passages = _load(tmp_path, "shipping.html", ACCORDION)
    sections = {p.text: p.section for p in passages}
    assert sections["Parcels arrive within three working days."] == "How long does delivery take?"
    assert sections["We ship to every country of the European Union."] == "Do you ship abroad?"
    assert sections["Questions not answered here go to the help desk by e-mail."] == "", \
        "text after the questions is back in the page's own section"


def test_cli_answers_a_handwritten_faq_from_the_answer_not_the_question_list(tmp_path, model_data):
    """End to end: the list of links to the questions used to be quoted as the answer."""
    import json
    import subprocess
    import sys

    from conftest import subprocess_env

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.html").write_text(HANDWRITTEN_FAQ, encoding="utf-8")
    env = subprocess_env(RAG_CORPUS_DIR=str(corpus), RAG_DATA_DIR=str(model_data))
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "--json", "Can I fly a kite in the rain?"],
                         capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    top = answer["citations"][0]
    assert top["section"].endswith("(2) Can I fly a kite in the rain?")
    assert top["text"].startswith("Never fly in rain or near power lines")
    assert "Home" not in answer["answer"] and "?" not in answer["answer"]
