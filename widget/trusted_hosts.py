"""Which ``Host`` headers the service answers: a link in an e-mail is a credential, and without
``PLEDGE_PUBLIC_URL`` it is built on the host the request named, so that host must be one of ours.

- ``PLEDGE_TRUSTED_HOSTS`` (comma-separated, as Flask's ``TRUSTED_HOSTS``: a name, or ``.example.org`` for
  it and its subdomains; any port) names them;
- else the host app's own ``TRUSTED_HOSTS``, if it set one;
- else, with ``PLEDGE_PUBLIC_URL``, any host: every link is built on the public address;
- else the development server's loopback names, on any port (a link to one of them leads nobody else's
  browser anywhere but to their own machine).

Any other host is answered 400.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from werkzeug.sansio.utils import host_is_trusted

#: The names of the development server's own address (``pledge-widget run`` on 127.0.0.1 or ::1).
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")

# An IPv6 literal with its brackets, and a port or none: Flask's own check cannot match these.
IPV6_HOST = re.compile(r"(\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE)


def names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A list of host names from a config value: a comma-separated string or a list, lower-cased."""
    items = value.split(",") if isinstance(value, str) else (value or ())
    return tuple(name.strip().lower() for name in items if name and name.strip())


def trusted_hosts(config: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The host names this service answers under ``config``; None: any (see the module's rules)."""
    for key in ("PLEDGE_TRUSTED_HOSTS", "TRUSTED_HOSTS"):
        listed = names(config.get(key))
        if listed:
            return listed
    if config.get("PLEDGE_PUBLIC_URL"):
        return None
    return LOOPBACK


def is_trusted(host: str, trusted: tuple[str, ...] | None) -> bool:
    """Whether a request's ``host[:port]`` (as ``request.host`` gives it) is one of ``trusted``."""
    if trusted is None:
        return True
    literal = IPV6_HOST.fullmatch(host or "")
    if literal:
        return literal.group(1).lower() in trusted
    listed = [name for name in trusted if not name.startswith("[")]
    # host_is_trusted takes an empty list as "any host": never here.
    return bool(listed) and host_is_trusted(host, listed)
