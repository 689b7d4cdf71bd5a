"""Help articles: Markdown files read and rendered for every site and language once, at start.

A file is ``<slug>.md``, UTF-8, at most 64 KiB. Its first line is ``# Title`` (plain text);
the first paragraph after it is a single line, the summary the help index shows (it also
opens the article). The rest is CommonMark with raw HTML off: tags in a file are shown as
text. No other level-one heading, and no images.

Placeholders, filled per site: ``{brand}``, ``{site}`` (the site's name), ``{origin}``,
``{support_email}``, ``{sender}`` (the address our email comes from), ``{sender_domain}`` (its
domain), ``{signing_domain}`` (the domain that signs our email: ``DKIM_DOMAIN``, else the
sender's domain), ``{other_site_names}``
("United Kingdom or Canada") and ``{other_sites}`` (on a line of its own: a list of links
to the other sites' sign-in pages). ``\\{name}`` is written as ``{name}``. An unknown name
refuses the file. Values are filled in with every punctuation mark backslash-escaped, so
a site's name cannot add Markdown of its own.

Links may go only to local paths (``/...``, ``#...``), to a configured site's origin, or
to ``mailto:`` a site's support address. The renderer drops any other link (its text
stays); the loader refuses a file that has one, so an operator sees the mistake at start.
A paragraph that is only a link is the article's way into its journey: it is shown as a
button.

Languages. The files at the top of a folder are in English, the language every site can
fall back to. A translation lives in a subfolder named by its locale tag, under the same
file name (``fr-CA/locked.md``), so an article has one address in every language; the
package ships ``fr-CA`` complete. An operator's folder (``HELP_ARTICLES_DIR``) may hold such
subfolders too; a subfolder that is not named by a locale tag is refused, and so is a
translation of a slug that has no English article. For each locale a site offers, each
article is taken from, best first: that locale's subfolder (the operator's, then the
package's); for a language other than English, another region's subfolder of the same
language (``fr-CA`` serves ``fr-FR``); else the English article, shown as it is. An
operator's English article that replaces a shipped one also sets aside the package's
translations of it (they translate the text it replaced): until the operator adds their
own, every language reads their article in English. Placeholders are the same in every
language; ``{other_site_names}`` is joined the way the article's language joins a list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from babel.lists import format_list
from markdown_it import MarkdownIt
from markdown_it.token import Token

from entryway.core.articles import (
    RESERVED,
    SHIPPED,
    Article,
    HelpCenter,
    fill,
    is_slug,
    placeholders,
)
from entryway.core.locales import N_, Catalogs, babel_name, language, valid_tag
from entryway.core.redirects import safe_return_to
from entryway.core.sites import Site

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "content" / "help"
MAX_BYTES = 64 * 1024
NAMES = (
    "brand",
    "site",
    "origin",
    "support_email",
    "sender",
    "sender_domain",
    "signing_domain",
    "other_site_names",
    "other_sites",
)
SOURCE_LANGUAGE = "en"  # the language of the files at the top of a folder
# {other_site_names} when a site has no other: rare, but it is still read by a customer.
NO_OTHER_SITE = N_("no other regional site")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


class HelpArticleError(ValueError):
    """A help article that cannot be served; the message names the file and the fault."""


@dataclass(frozen=True, slots=True)
class Source:
    """One article file, read and checked but not yet filled in for a site."""

    slug: str
    path: Path
    title: str
    summary: str  # Markdown, one line
    body: str  # Markdown under the title line
    lang: str = SOURCE_LANGUAGE  # "en" at the top of a folder, else its subfolder's tag


def parse_source(path: Path, raw: bytes, lang: str = SOURCE_LANGUAGE) -> Source:
    """Check one file's name, size, encoding, title, summary and placeholders."""
    slug = path.name.removesuffix(".md")
    if not is_slug(slug):
        raise HelpArticleError(
            f"{path}: the file name must be <slug>.md, with a slug of lower-case letters, "
            "digits and single hyphens"
        )
    if slug in RESERVED:
        raise HelpArticleError(f"{path}: {slug!r} is the address of another help page")
    if len(raw) > MAX_BYTES:
        raise HelpArticleError(f"{path}: larger than {MAX_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise HelpArticleError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    first, _, body = text.partition("\n")
    if not first.startswith("# ") or not first[2:].strip():
        raise HelpArticleError(f"{path}: the first line must be the title, as '# Title'")
    paragraphs = [p for p in body.strip().split("\n\n") if p.strip()]
    if not paragraphs or "\n" in paragraphs[0].strip():
        raise HelpArticleError(
            f"{path}: the title must be followed by a one-line summary paragraph"
        )
    if "{other_sites}" in first:
        raise HelpArticleError(f"{path}: {{other_sites}} is a list and cannot be in the title")
    unknown = [n for n in placeholders(text) if n not in NAMES]
    if unknown:
        raise HelpArticleError(
            f"{path}: unknown placeholder {{{unknown[0]}}}; known ones are "
            + ", ".join(f"{{{n}}}" for n in NAMES)
        )
    return Source(slug, path, first[2:].strip(), paragraphs[0].strip(), body, lang)


def read_folder(folder: Path, lang: str = SOURCE_LANGUAGE) -> dict[str, Source]:
    """Every ``*.md`` article in ``folder`` by slug (other files are not articles)."""
    if not folder.is_dir():
        raise HelpArticleError(f"{folder}: not a folder of help articles")
    found = {}
    for path in sorted(folder.glob("*.md")):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise HelpArticleError(f"{path}: cannot be read ({exc.strerror})") from None
        source = parse_source(path, raw, lang)
        found[source.slug] = source
    return found


def read_translations(folder: Path) -> dict[str, dict[str, Source]]:
    """The translations in ``folder``'s subfolders, by locale tag and slug; a subfolder
    not named by a tag is refused (``fr_CA`` would otherwise be ignored without a word)."""
    found = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name.startswith("."):
            continue  # a tool's folder (.git), not a language
        if not valid_tag(sub.name):
            raise HelpArticleError(
                f"{sub}: a subfolder holds one language's translations and is named by its "
                "locale tag, such as fr-CA"
            )
        found[sub.name] = read_folder(sub, sub.name)
    return found


def escape_markdown(value: str) -> str:
    """``value`` as literal Markdown text: every ASCII punctuation mark backslash-escaped
    (CommonMark lets any of them be escaped, in text and link destinations alike)."""
    return "".join("\\" + ch if ch in _ASCII_PUNCTUATION else ch for ch in value)


def plain_values(
    site: Site,
    sites: Sequence[Site],
    sender: str,
    locale: str = SOURCE_LANGUAGE,
    gettext: Callable[[str], str] = str,
    *,
    signing_domain: str = "",
) -> dict[str, str]:
    """The text placeholders' values for ``site``, as they read (titles use these), in an
    article written in ``locale`` (which joins the other sites' names its own way)."""
    names = [s.name for s in sites if s.code != site.code]
    joined = format_list(names, style="or", locale=babel_name(locale)) if names else ""
    domain = (parseaddr(sender)[1] or sender).rsplit("@", 1)[-1].lower()
    return {
        "brand": site.brand,
        "site": site.name,
        "origin": site.origin,
        "support_email": site.support_email,
        "sender": parseaddr(sender)[1] or sender,
        "sender_domain": domain,
        "signing_domain": signing_domain.lower().rstrip(".") or domain,
        "other_site_names": joined or gettext(NO_OTHER_SITE),
    }


def markdown_values(
    site: Site,
    sites: Sequence[Site],
    sender: str,
    locale: str = SOURCE_LANGUAGE,
    gettext: Callable[[str], str] = str,
    *,
    signing_domain: str = "",
) -> dict[str, str]:
    """Every placeholder's value for ``site`` as Markdown that adds no markup of its own,
    but for ``{other_sites}``, the list of links we write ourselves."""
    links = "\n".join(
        f"- [{escape_markdown(f'{s.brand} {s.name}')}]({escape_markdown(s.url('/signin'))})"
        for s in sites
        if s.code != site.code
    )
    plain = plain_values(site, sites, sender, locale, gettext, signing_domain=signing_domain)
    escaped = {k: escape_markdown(v) for k, v in plain.items()}
    return escaped | {"other_sites": links}


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        """Let every link through to Renderer.link_allowed, which is narrower than
        markdown-it's own list and reports what it drops, so a loader can refuse it."""
        return True


class Renderer:
    """CommonMark without raw HTML or images, keeping only links this service may make."""

    def __init__(self, sites: Sequence[Site]) -> None:
        self._md = _Markdown("commonmark", {"html": False}).disable("image")
        # Compared after markdown-it's own normalisation, which the hrefs have been through.
        self._origins = frozenset(self._md.normalizeLink(s.origin) for s in sites)
        self._mailboxes = frozenset(
            self._md.normalizeLink("mailto:" + s.support_email) for s in sites
        )

    def link_allowed(self, href: str) -> bool:
        """A local path, a configured site's origin, or mail to a support address."""
        if href in self._mailboxes:
            return True
        if href.startswith("#"):
            return href.isprintable() and "\\" not in href
        return safe_return_to(href, self._origins) == href

    def render(self, markdown: str) -> tuple[str, list[str]]:
        """``markdown`` as HTML, and the links dropped from it (their text is kept)."""
        return self._render(self._md.parse(markdown))

    def render_inline(self, markdown: str) -> tuple[str, list[str]]:
        """One paragraph's content as HTML without the paragraph, and the links dropped."""
        return self._render(self._md.parseInline(markdown))

    def _render(self, tokens: list[Token]) -> tuple[str, list[str]]:
        dropped: list[str] = []
        for i, token in enumerate(tokens):
            if token.children:
                token.children = self._keep_links(token.children, dropped)
                opening = tokens[i - 1] if i else None
                # A list item's paragraph is hidden: a list of links stays a list.
                if (
                    opening
                    and opening.type == "paragraph_open"
                    and not opening.hidden
                    and (_only_a_link(token))
                ):
                    tokens[i - 1].attrSet("class", "go")
                    token.children[0].attrSet("class", "button")
        html = self._md.renderer.render(tokens, self._md.options, {})
        assert isinstance(html, str)
        return html, dropped

    def _keep_links(self, children: list[Token], dropped: list[str]) -> list[Token]:
        kept: list[Token] = []
        open_links: list[bool] = []  # per open link: whether it was kept
        for child in children:
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                allowed = self.link_allowed(href)
                open_links.append(allowed)
                if not allowed:
                    dropped.append(href)
                    continue
            elif child.type == "link_close" and open_links and not open_links.pop():
                continue
            kept.append(child)
        return kept

    def outline(self, markdown: str) -> tuple[str, set[str]]:
        """The type of the first block in ``markdown`` and its heading tags (h1..h6)."""
        tokens = self._md.parse(markdown)
        first = tokens[0].type if tokens else ""
        return first, {t.tag for t in tokens if t.type == "heading_open"}


def _only_a_link(inline: Token) -> bool:
    """Whether a paragraph's content is one link and nothing else (shown as a button)."""
    kids = inline.children or []
    return (
        len(kids) >= 2
        and kids[0].type == "link_open"
        and kids[-1].type == "link_close"
        and sum(k.type == "link_open" for k in kids) == 1
    )


def render_for_site(
    source: Source,
    renderer: Renderer,
    site: Site,
    sites: Sequence[Site],
    sender: str,
    locale: str | None = None,
    catalogs: Catalogs | None = None,
    *,
    signing_domain: str = "",
) -> Article:
    """``source`` filled in and rendered for one site and a reader in ``locale`` (default:
    the site's); a link that would be dropped, a summary that is not a paragraph or a
    second level-one heading refuses it."""
    reader = locale or site.locale
    # Values are written in the article's language: a French reader of an article that has
    # no translation reads "A or B" inside the English text, not "A ou B".
    text_locale = reader if language(reader) == language(source.lang) else source.lang
    gettext = (catalogs or Catalogs()).get(source.lang).gettext
    markdown = markdown_values(
        site, sites, sender, text_locale, gettext, signing_domain=signing_domain
    )
    body = fill(source.body, markdown)
    first, headings = renderer.outline(body)
    if first != "paragraph_open":
        raise HelpArticleError(f"{source.path}: the summary under the title must be text")
    if "h1" in headings:
        raise HelpArticleError(f"{source.path}: only the first line may be a '# ' heading")
    body_html, dropped = renderer.render(body)
    if dropped:
        raise HelpArticleError(
            f"{source.path}: on site {site.code}, link {dropped[0]!r} goes outside this "
            "service; links may go to /paths, configured site origins or mailto: a "
            "support address"
        )
    summary_html, _ = renderer.render_inline(fill(source.summary, markdown))
    plain = plain_values(site, sites, sender, text_locale, gettext, signing_domain=signing_domain)
    title = fill(source.title, plain).replace("\\{", "{")
    return Article(source.slug, title, summary_html, body_html, source.lang)


def pick(
    slug: str,
    locale: str,
    english: Mapping[str, Source],
    translations: Sequence[Mapping[str, Mapping[str, Source]]],
) -> Source:
    """The source of article ``slug`` for readers in ``locale``: its translation into that
    locale, else into another region's form of the language, else the English article.
    ``translations`` are searched in order at each step (the operator's before the
    package's)."""
    tags = [locale]
    if language(locale) != SOURCE_LANGUAGE:
        written = {tag for by_tag in translations for tag in by_tag}
        tags += sorted(t for t in written if t != locale and language(t) == language(locale))
    for tag in tags:
        for by_tag in translations:
            found = by_tag.get(tag, {}).get(slug)
            if found is not None:
                return found
    return english[slug]


def load_help_center(
    sites: Sequence[Site],
    sender: str,
    folder: Path | None = None,
    catalogs: Catalogs | None = None,
    *,
    signing_domain: str = "",
) -> HelpCenter:
    """The shipped articles, with ``folder``'s replacing or adding by slug, rendered for
    every site in each of its locales; raises HelpArticleError naming the first bad file.
    ``catalogs`` translate the few words this module writes itself."""
    sources = read_folder(SHIPPED_DIR)
    missing = [slug for slug in SHIPPED if slug not in sources]
    if missing:
        raise HelpArticleError(f"{SHIPPED_DIR}: the package lacks articles {missing}")
    shipped = read_translations(SHIPPED_DIR)
    theirs: dict[str, dict[str, Source]] = {}
    if folder is not None:
        replaced = read_folder(folder)
        theirs = read_translations(folder)
        sources |= replaced
        # A shipped translation of an article the operator rewrote would say something else.
        shipped = {
            tag: {s: src for s, src in by_slug.items() if s not in replaced}
            for tag, by_slug in shipped.items()
        }
    for by_slug in [*theirs.values(), *shipped.values()]:
        for slug, source in by_slug.items():
            if slug not in sources:
                raise HelpArticleError(
                    f"{source.path}: translates no article; {slug}.md must be at the top "
                    "of the folder, in English, too"
                )
    order = list(SHIPPED) + sorted(set(sources) - set(SHIPPED))
    renderer = Renderer(sites)
    return HelpCenter(
        {
            site.code: {
                tag: [
                    render_for_site(
                        pick(slug, tag, sources, [theirs, shipped]),
                        renderer,
                        site,
                        sites,
                        sender,
                        tag,
                        catalogs,
                        signing_domain=signing_domain,
                    )
                    for slug in order
                ]
                for tag in site.locales
            }
            for site in sites
        }
    )
