"""The WordPress plugin (integrations/wordpress/pledge-widget) in a real WordPress: Debian's package served by
PHP's built-in server on loopback, on a MariaDB database of the module's own. An administrator activates the
plugin and sets the service's address in the admin pages; an author, who may not paste scripts, publishes a
post with the shortcode and one with the block; visitors sign through both in Chromium."""
from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import fill_by_ids, free_port, links, need_service, stop, wait_until_up

WORDPRESS = Path(os.environ.get("PLEDGE_TEST_WORDPRESS", "/usr/share/wordpress"))
MARIADB_URL = os.environ.get("PLEDGE_TEST_MARIADB", "mysql://root@127.0.0.1:3306/test")
PLUGIN = Path(__file__).resolve().parent.parent / "integrations" / "wordpress" / "pledge-widget"
PACKAGES = "apt-get install wordpress php-cli php-mysql mariadb-server"

_numbers = itertools.count(1)


# -- PHP, WordPress and MariaDB ---------------------------------------------------------------


def php_problem() -> str | None:
    if shutil.which("php") is None:
        return f"PHP's command line is not installed ({PACKAGES})"
    return None


def wordpress_problem() -> str | None:
    problem = php_problem()
    if problem:
        return problem
    if not (WORDPRESS / "wp-settings.php").is_file():
        return f"no WordPress there ({PACKAGES})"
    if subprocess.run(["php", "-r", "exit(extension_loaded('mysqli') ? 0 : 1);"]).returncode:
        return f"PHP has no mysqli ({PACKAGES})"
    return None


@dataclass(frozen=True)
class MariaDB:
    """Where MariaDB listens, from ``PLEDGE_TEST_MARIADB`` (``mysql://user:password@host:port/database``)."""

    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> "MariaDB":
        parts = urllib.parse.urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 3306, urllib.parse.unquote(parts.username or "root"),
                   urllib.parse.unquote(parts.password or ""))

    def execute(self, sql: str) -> str | None:
        """Run one statement with PHP's mysqli (what WordPress itself uses); the error, or None."""
        code = (
            "mysqli_report(MYSQLI_REPORT_OFF);"
            "$db = @new mysqli($argv[1], $argv[2], $argv[3], '', (int) $argv[4]);"
            "if ($db->connect_error) { fwrite(STDERR, $db->connect_error); exit(1); }"
            "if (!$db->query($argv[5])) { fwrite(STDERR, $db->error); exit(1); }"
        )
        done = subprocess.run(["php", "-r", code, "--", self.host, self.user, self.password, str(self.port), sql],
                              capture_output=True, text=True, timeout=30)
        return (done.stderr.strip() or f"exit {done.returncode}") if done.returncode else None


@dataclass
class WordPress:
    url: str  # http://127.0.0.1:<port>
    root: Path  # ABSPATH: Debian's files, linked, beside this test's wp-config.php and wp-content
    prepend: Path  # defines ABSPATH before WordPress's own files run
    log: Path  # WordPress's debug.log
    admin_password: str

    def php(self, code: str, installing: bool = False) -> str:
        """Run PHP code inside this WordPress (loaded as a request would load it); its output."""
        script = self.root.parent / f"run-{next(_numbers)}.php"
        first = "define( 'WP_INSTALLING', true );\n" if installing else ""
        script.write_text(f"<?php\n{first}require ABSPATH . 'wp-load.php';\n{code}\n")
        done = subprocess.run(["php", "-d", f"auto_prepend_file={self.prepend}", str(script)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def publish(self, title: str, content: str, author: str = "author") -> str:
        """Publish a post as one of the users (kses filters what an author may not write); its address."""
        post_id = self.php(
            f"wp_set_current_user( get_user_by( 'login', {php_string(author)} )->ID );\n"
            f"echo wp_insert_post( array( 'post_title' => {php_string(title)}, "
            f"'post_content' => {php_string(content)}, 'post_status' => 'publish' ), true );"
        )
        return f"{self.url}/?p={int(post_id)}"

    def option(self, name: str):
        return json.loads(self.php(f"echo wp_json_encode( get_option( {php_string(name)} ) );"))

    def plugin_notices(self) -> list[str]:
        """What PHP and WordPress logged about the plugin (notices, warnings, doing it wrong)."""
        if not self.log.exists():
            return []
        return [line for line in self.log.read_text().splitlines() if "pledge" in line.lower()]


def php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


WP_CONFIG = """\
<?php
// This test's WordPress: its own database, its own wp-content, nothing but loopback.
define( 'DB_NAME', {db_name} );
define( 'DB_USER', {db_user} );
define( 'DB_PASSWORD', {db_password} );
define( 'DB_HOST', {db_host} );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{salts}
$table_prefix = 'wp_';
define( 'WP_HOME', {url} );
define( 'WP_SITEURL', {url} );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', {log} );
define( 'WP_DEBUG_DISPLAY', false );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
require_once ABSPATH . 'wp-settings.php';
"""

SALTS = ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT",
         "LOGGED_IN_SALT", "NONCE_SALT")


def lay_out(folder: Path, url: str, database: MariaDB, db_name: str) -> tuple[Path, Path, Path]:
    """A WordPress folder that needs no change to Debian's: every file of the package linked, except its
    wp-config.php (which reads /etc/wordpress/config-HOST.php) and wp-content, which are this test's own.

    PHP resolves links in ``__DIR__``, so WordPress would take Debian's folder for its ABSPATH: the
    ``auto_prepend_file`` defines ABSPATH first."""
    root = folder / "wordpress"
    root.mkdir()
    for entry in WORDPRESS.iterdir():
        if entry.name not in ("wp-config.php", "wp-content", ".htaccess"):
            (root / entry.name).symlink_to(entry)
    content = root / "wp-content"
    (content / "plugins").mkdir(parents=True)
    (content / "plugins" / "pledge-widget").symlink_to(PLUGIN)
    (content / "themes").symlink_to(WORDPRESS / "wp-content" / "themes")
    log = folder / "debug.log"
    config = {
        "db_name": db_name,
        "db_user": database.user,
        "db_password": database.password,
        "db_host": f"{database.host}:{database.port}",
        "url": url,
        "log": str(log),
    }
    salts = "\n".join(f"define( '{name}', '{secrets.token_hex(32)}' );" for name in SALTS)
    (root / "wp-config.php").write_text(WP_CONFIG.format(salts=salts, **{k: php_string(v) for k, v in config.items()}))
    prepend = folder / "prepend.php"
    prepend.write_text(f"<?php\ndefine( 'ABSPATH', {php_string(str(root) + '/')} );\n")
    return root, prepend, log


INSTALL = """\
// WordPress's own installer, as wp-admin/install.php runs it, without the mail to the administrator.
function wp_new_blog_notification() {}
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'Lycée on WordPress', 'admin', 'admin@wordpress.example', true, '', %(password)s );
wp_insert_user( array( 'user_login' => 'author', 'user_pass' => %(password)s, 'user_email' => 'author@wordpress.example', 'role' => 'author' ) );
"""


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory):
    """One WordPress for the module, installed by its own installer, on a database dropped afterwards."""
    need_service("WordPress", str(WORDPRESS), wordpress_problem())
    database = MariaDB.from_url(MARIADB_URL)
    need_service("MariaDB", MARIADB_URL, database.execute("SELECT 1"))
    db_name = f"wp_test_{secrets.token_hex(6)}"
    assert database.execute(f"CREATE DATABASE {db_name} CHARACTER SET utf8mb4") is None
    folder = tmp_path_factory.mktemp("wordpress")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    root, prepend, log = lay_out(folder, url, database, db_name)
    site = WordPress(url=url, root=root, prepend=prepend, log=log, admin_password=secrets.token_urlsafe(12))
    server = None
    try:
        # The installer runs before the server: WordPress's loopback check needs no answer.
        site.php(INSTALL % {"password": php_string(site.admin_password)}, installing=True)
        server_log = folder / "server.log"
        server = subprocess.Popen(
            # OPcache (off for PHP's command line by default) keeps the compiled WordPress between requests.
            ["php", "-d", f"auto_prepend_file={prepend}", "-d", "opcache.enable_cli=1", "-S", f"127.0.0.1:{port}", "-t", str(root)],
            stdout=server_log.open("w"), stderr=subprocess.STDOUT,
            env=dict(os.environ, PHP_CLI_SERVER_WORKERS="4"),
        )
        wait_until_up(f"{url}/wp-login.php", server, server_log)
        yield site
    finally:
        if server is not None:
            stop(server)
        database.execute(f"DROP DATABASE IF EXISTS {db_name}")



def test_plugin_files_are_valid_php():
    need_service("PHP", "php", php_problem())
    for path in sorted(PLUGIN.rglob("*.php")):
        done = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_template_of_translations_holds_every_text(tmp_path):
    """languages/pledge-widget.pot holds the texts of the code, the plugin header and block.json, in the
    text domain pledge-widget (integrations/wordpress/make_pot.py writes it)."""
    need_service("xgettext", "xgettext", None if shutil.which("xgettext") else "not installed (apt-get install gettext)")
    from babel.messages.pofile import read_po

    sys.path.insert(0, str(PLUGIN.parent))
    try:
        import make_pot
    finally:
        sys.path.remove(str(PLUGIN.parent))
    fresh = tmp_path / "fresh.pot"
    make_pot.write_pot(fresh)

    def texts(path: Path) -> set:
        with path.open("rb") as f:
            return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}

    assert texts(make_pot.POT) == texts(fresh)
    assert (None, "Sign the pledge") in texts(fresh) and ("block title", "Pledge widget") in texts(fresh)
    # Every translation call names the plugin's text domain: a text without it would never be translated.
    calls = re.compile(r"\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*('(?:[^'\\]|\\.)*')\s*(,\s*'([^']*)')?")
    for path in [*PLUGIN.rglob("*.php"), *PLUGIN.rglob("*.js")]:
        for call in calls.finditer(path.read_text()):
            assert call.group(3) == "pledge-widget", f"{path.name}: {call.group(0)}"


@pytest.fixture(scope="module")
def service_site(live, wordpress):
    """A site of our service whose one registered origin is the WordPress."""
    return live.store.add_site("Lycée on WordPress", [wordpress.url], "webmaster@wordpress.example", "4p1000")


@pytest.fixture(scope="module")
def admin(wordpress, browser, live):
    """The WordPress administrator, signed in in Chromium, who has activated the plugin on the plugins page
    and entered the service's address on its settings page."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{wordpress.url}/wp-login.php?redirect_to=%2Fwp-admin%2Fplugins.php")
    page.locator("#user_login").fill("admin")
    page.locator("#user_pass").fill(wordpress.admin_password)
    page.locator("#wp-submit").click()
    page.wait_for_url(re.compile(r"/wp-admin/plugins.php"))
    page.get_by_role("link", name="Activate Pledge widget").click()
    page.get_by_text("Plugin activated.").wait_for()
    # Until the address is set, administrators are told where to enter it.
    page.get_by_text("The pledge widgets show nothing until you enter the address of the pledge service.").wait_for()
    page.locator("tr[data-slug=pledge-widget]").get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="Pledge widget", exact=True).wait_for()
    page.get_by_label("Service address").fill(live.url)
    page.get_by_role("button", name="Save Changes").click()
    page.get_by_text("Settings saved.").wait_for()
    assert wordpress.option("pledge_widget_service_url") == live.url
    yield page
    context.close()


def read(url: str) -> str:
    with urllib.request.urlopen(url, timeout=15) as answer:
        return answer.read().decode()


def site_count(live, site_key: str) -> int:
    return json.loads(read(f"{live.url}/api/v1/sites/{site_key}/count"))["site"]


#: The widget's buttons and headings a visitor goes through, in the two languages of the journey.
ENGLISH = {"sign": "Sign", "sent": "Check your inbox", "confirm": "Confirm my signature",
           "done": "Thank you: your signature is confirmed"}
FRENCH = {"sign": "Signer", "sent": "Consultez votre messagerie", "confirm": "Confirmer ma signature",
          "done": "Merci : votre signature est confirmée"}


def sign_and_confirm(context, inbox, frame, address: str, texts: dict[str, str]) -> None:
    """Fill the widget's form in ``frame``, send it, and confirm by the mailed link."""
    fill_by_ids(frame, address, "Lycée du Sol", "research", "FR", "Soil carbon in every lesson.")
    frame.get_by_role("button", name=texts["sign"], exact=True).click()
    frame.get_by_role("heading", name=texts["sent"]).wait_for()
    [mail] = inbox.wait_for(address)
    confirm_page = context.new_page()
    confirm_page.goto(links(mail)[0])
    confirm_page.get_by_role("button", name=texts["confirm"]).click()
    confirm_page.get_by_role("heading", name=texts["done"]).wait_for()
    confirm_page.close()


def test_visitors_sign_through_the_shortcode_and_the_block_of_an_authors_posts(
        wordpress, admin, live, service_site, page, context, inbox):
    key = service_site.key
    # An author may not paste a <script>: the shortcode and the block need none.
    assert wordpress.php("echo json_encode( user_can( get_user_by( 'login', 'author' ), 'unfiltered_html' ) );") == "false"
    shortcode_post = wordpress.publish("Sign with us", f'Our school signs.\n\n[pledge_widget key="{key}" lang="fr"]')
    block_post = wordpress.publish("Sign here too", f'<!-- wp:pledge-widget/widget {{"key":"{key}"}} /-->')
    assert site_count(live, key) == 0

    page.goto(shortcode_post)
    iframe = page.locator("iframe")
    assert iframe.get_attribute("src").startswith(f"{live.url}/w/{key}?mode=form&lang=fr&")
    assert iframe.get_attribute("title") == "Sign the pledge"
    frame = page.frame_locator("iframe")
    sign_and_confirm(context, inbox, frame, f"wp-shortcode-{next(_numbers)}@lycee.example", FRENCH)
    assert site_count(live, key) == 1

    page.goto(block_post)
    frame = page.frame_locator(".wp-block-pledge-widget-widget iframe")
    # The widget follows the page's language (en-US) and takes its content's height.
    frame.get_by_role("heading", name=re.compile("Declaration of Intent")).wait_for()
    page.wait_for_function("document.querySelector('.wp-block-pledge-widget-widget iframe').style.height.endsWith('px')")
    sign_and_confirm(context, inbox, frame, f"wp-block-{next(_numbers)}@lycee.example", ENGLISH)
    assert site_count(live, key) == 2
    assert wordpress.plugin_notices() == []


def render(wordpress, shortcodes: list[str], user: str | None = None) -> list[str]:
    """Each shortcode as the plugin renders it for a visitor, or for a signed-in user."""
    as_user = f"wp_set_current_user( get_user_by( 'login', {php_string(user)} )->ID );\n" if user else ""
    return json.loads(wordpress.php(
        as_user + f"echo wp_json_encode( array_map( 'do_shortcode', json_decode( {php_string(json.dumps(shortcodes))} ) ) );"
    ))


def test_shortcode_writes_the_snippet_or_a_frame_from_checked_attributes(wordpress, admin, live):
    service = live.url
    # The link reserves the room of its mode, as the service's own snippet does (widget.snippet.RESERVED_HEIGHTS).
    good = {
        '[pledge_widget key="Ab-9_z"]':
            f'<a class="pledge-widget" href="{service}/w/Ab-9_z" data-mode="form" style="display:block;height:100vh">'
            "Sign the pledge</a>",
        '[pledge_widget key=" k1 " mode="Counter" lang="pt-BR" theme="dark"]':
            f'<a class="pledge-widget" href="{service}/w/k1" data-mode="counter" data-lang="pt-BR" data-theme="dark" '
            'style="display:block;height:212px">See how many have signed the pledge</a>',
        '[pledge_widget key="k1" mode="button" lang="es_419"]':
            f'<a class="pledge-widget" href="{service}/w/k1" data-mode="button" data-lang="es_419" '
            'style="display:block;height:121px">Sign the pledge</a>',
        '[pledge_widget key="k1" mode="list" lang="fil" embed="iframe"]':
            f'<iframe class="pledge-widget-frame" src="{service}/w/k1?mode=list&#038;lang=fil" title="See who has '
            'signed the pledge" loading="lazy" style="width:100%;border:0" height="800"></iframe>',
        # Source codes, escaped by WordPress; one the service would drop (over 64 characters) is left out.
        f'[pledge_widget key="k1" mode="list" utm_source="news&letter" utm_medium="e mail" utm_campaign="{"c" * 65}"]':
            f'<a class="pledge-widget" href="{service}/w/k1" data-mode="list" data-utm-source="news&amp;letter" '
            'data-utm-medium="e mail" style="display:block;height:322px">See who has signed the pledge</a>',
        '[pledge_widget key="k1" embed="iframe" utm_source="radio" utm_medium="\u202eoidar" utm_campaign="spring-2027"]':
            f'<iframe class="pledge-widget-frame" src="{service}/w/k1?mode=form#utm_source=radio&#038;'
            'utm_campaign=spring-2027" title="Sign the pledge" loading="lazy" style="width:100%;border:0" '
            'height="1800"></iframe>',
        '[pledge_widget key="k1" mode="counter" embed="iframe"]':
            f'<iframe class="pledge-widget-frame" src="{service}/w/k1?mode=counter" title="See how many have signed '
            'the pledge" loading="lazy" style="width:100%;border:0" height="240"></iframe>',
    }
    bad = {
        "[pledge_widget]": "pledge_widget_key",
        '[pledge_widget key="<script>alert(1)</script>"]': "pledge_widget_key",
        '[pledge_widget key="abc def"]': "pledge_widget_key",
        '[pledge_widget key="../../wp-admin"]': "pledge_widget_key",
        f'[pledge_widget key="{"k" * 65}"]': "pledge_widget_key",
        '[pledge_widget key="k1" mode="popup"]': "pledge_widget_mode",
        '[pledge_widget key="k1" lang="en\' onmouseover=\'alert(1)"]': "pledge_widget_lang",
        '[pledge_widget key="k1" lang="english"]': "pledge_widget_lang",
        '[pledge_widget key="k1" theme="javascript:alert(1)"]': "pledge_widget_theme",
        '[pledge_widget key="k1" embed="object"]': "pledge_widget_embed",
    }
    assert render(wordpress, list(good)) == list(good.values())
    # A visitor sees an HTML comment naming the problem; whoever may edit posts, what to fix.
    assert render(wordpress, list(bad)) == [f"<!-- {code} -->" for code in bad.values()]
    notices = render(wordpress, list(bad), user="author")
    assert all(n.startswith('<p class="pledge-widget-notice"><strong>Pledge widget:</strong> ') for n in notices)
    assert "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not a site key" in notices[1]
    assert not any("<script" in n or "onmouseover='" in n for n in notices)


def test_bad_attributes_in_a_published_post_show_nothing_harmful(wordpress, admin, live, page):
    # Published by the administrator, whose posts WordPress does not filter: the plugin alone stands guard.
    post = wordpress.publish("Broken widgets", "\n\n".join([
        '[pledge_widget key="<img src=x onerror=alert(1)>"]',
        '[pledge_widget key="k1" mode="x\' onfocus=\'alert(1)"]',
        '[pledge_widget key="k1" lang="javascript:alert(1)"]',
        '<!-- wp:pledge-widget/widget {"key":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"} /-->',
    ]), author="admin")
    html = read(post)
    assert html.count("<!-- pledge_widget_key -->") == 2
    assert "<!-- pledge_widget_mode -->" in html and "<!-- pledge_widget_lang -->" in html
    assert "alert(1)" not in html and "pledge-widget-notice" not in html and "/embed.js" not in html

    page.on("dialog", lambda dialog: pytest.fail(f"a script ran: {dialog.message}"))
    admin.goto(post)
    notices = admin.locator(".pledge-widget-notice")
    assert notices.count() == 4
    assert notices.first.inner_text().startswith("Pledge widget: \"<img src=x onerror=alert(1)>\" is not a site key")
    assert wordpress.plugin_notices() == []


def test_settings_page_refuses_a_bad_address_and_needs_its_nonce(wordpress, admin, live):
    settings = f"{wordpress.url}/wp-admin/options-general.php?page=pledge-widget"
    admin.goto(settings)
    for bad in ("javascript:alert(1)", "ftp://pledge.example", "https://pledge.example/?key=1", "https://user@pledge.example"):
        admin.get_by_label("Service address").fill(bad)
        admin.get_by_role("button", name="Save Changes").click()
        admin.get_by_text("The service address must be a web address that starts with https://").wait_for()
        assert wordpress.option("pledge_widget_service_url") == live.url
        assert admin.get_by_label("Service address").input_value() == live.url

    # The Settings API checks the form's nonce: a forged post from another site changes nothing.
    forged = admin.request.post(f"{wordpress.url}/wp-admin/options.php", form={
        "option_page": "pledge_widget", "action": "update", "pledge_widget_service_url": "https://evil.example"})
    assert forged.status == 403
    assert wordpress.option("pledge_widget_service_url") == live.url

    checked = json.loads(wordpress.php("echo wp_json_encode( array_map( 'pledge_widget_valid_service_url', array( "
                                       "' https://pledge.example.org/ ', 'http://127.0.0.1:8000/pledge', "
                                       "'https://[::1]:8443', 'HTTPS://Pledge.Example.org', 'https://pledge example.org', "
                                       "'//pledge.example.org', 'https://pledge.example.org#x', 'data:text/html,x' ) ) );"))
    assert checked == ["https://pledge.example.org", "http://127.0.0.1:8000/pledge", "https://[::1]:8443",
                       "https://Pledge.Example.org", "", "", "", ""]


def test_iframe_embed_works_without_the_loader_and_the_loader_comes_once(wordpress, admin, live, service_site, page):
    key = service_site.key
    two = wordpress.publish("Two widgets", f'[pledge_widget key="{key}" mode="counter"]\n\n[pledge_widget key="{key}" mode="list"]')
    html = read(two)
    assert html.count('class="pledge-widget"') == 2
    assert len(re.findall(rf"<script async src=['\"]{re.escape(live.url)}/embed\.js['\"]", html)) == 1

    framed = wordpress.publish("A frame", f'[pledge_widget key="{key}" mode="counter" embed="iframe"]')
    assert "/embed.js" not in read(framed)
    page.goto(framed)
    iframe = page.locator("iframe.pledge-widget-frame")
    assert iframe.get_attribute("height") == "240" and iframe.get_attribute("loading") == "lazy"
    page.frame_locator("iframe.pledge-widget-frame").locator("#count").get_by_text("through this site").wait_for()


def test_block_in_the_editor_asks_for_the_key_and_previews_the_widget(wordpress, admin, service_site):
    key = service_site.key
    admin.goto(f"{wordpress.url}/wp-admin/post-new.php")
    admin.wait_for_function("window.wp && wp.blocks && wp.blocks.getBlockType('pledge-widget/widget')")
    admin.evaluate("""() => {
        if (wp.data.select('core/edit-post').isFeatureActive('welcomeGuide')) wp.data.dispatch('core/edit-post').toggleFeature('welcomeGuide');
        wp.data.dispatch('core/block-editor').insertBlocks(wp.blocks.createBlock('pledge-widget/widget'));
    }""")
    block = admin.locator(".wp-block-pledge-widget-widget")
    block.get_by_label("Site key").fill(key)
    block.get_by_role("button", name="Embed").click()
    # The preview comes from the server, from the same function as the shortcode.
    block.locator("a.pledge-widget").get_by_text("Sign the pledge").wait_for()
    admin.get_by_role("combobox", name="Shows").select_option("counter")
    block.locator("a.pledge-widget").get_by_text("See how many have signed the pledge").wait_for()
    content = admin.evaluate("wp.data.select('core/editor').getEditedPostContent()")
    assert content == f'<!-- wp:pledge-widget/widget {{"key":"{key}","mode":"counter"}} /-->'
    assert wordpress.plugin_notices() == []
