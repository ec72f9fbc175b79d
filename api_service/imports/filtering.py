"""Which URIs a web-download may fetch: [import_filtering_opts], as upstream's
validate_import_uri, plus a check of the addresses a host name resolves to.

Upstream's rules: an allow list, when set, replaces its deny list; the scheme must pass,
the host must be a plain name or a normal IP address (no 2130706433, 0x7f000001 or 127.1
spellings) and pass, and a port given in the URI must pass (none given: not checked).
Beyond upstream: every address the host resolves to is checked, and a link-local or cloud
metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254) is refused unless the host or
that address is in allowed_hosts: such addresses reach the cloud's own services, not the
Internet. The api checks a URI when the import is asked for and again, with resolution,
before each request the download makes (redirects included).
"""

import ipaddress
import socket
from urllib import parse

from api_service import exceptions as api_exceptions

LINK_LOCAL = (ipaddress.ip_network('169.254.0.0/16'), ipaddress.ip_network('fe80::/10'),
              ipaddress.ip_network('fd00:ec2::254/128'))
DEFAULT_PORTS = {'http': 80, 'https': 443}


class Refused(api_exceptions.BadRequest):
    """The URI does not pass [import_filtering_opts] (a 400 at request time; the reason of
    a failed task once the download has started)."""


def normalize_host(host):
    """A standard IP address string, the host name as given (lower case), or None for an
    encoded address (decimal, hex, octal, short dotted forms) or nothing."""
    if not host:
        return None
    for kind in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        try:
            return str(kind(host))
        except ValueError:
            pass
    if host.isdigit() or all(c.isdigit() or c == '.' for c in host) or \
            host.lower().startswith('0x'):
        return None
    return host.lower()


def _allowed(value, allowed, disallowed):
    if allowed:
        return value in allowed
    return value not in disallowed


def check_uri(opts, uri):
    """-> (scheme, host, port) of ``uri``; Refused saying which rule it broke."""
    if not uri or not isinstance(uri, str):
        raise Refused('web-download needs a URI (method.uri).')
    try:
        parsed = parse.urlsplit(uri)
        port = parsed.port
    except ValueError:
        raise Refused('URI for web-download does not pass filtering: it cannot be parsed.') \
            from None
    scheme = parsed.scheme.lower()
    if not scheme or not _allowed(scheme, opts.allowed_schemes, opts.disallowed_schemes):
        raise Refused('URI for web-download does not pass filtering: scheme %r is not '
                      'allowed ([import_filtering_opts] allowed_schemes, '
                      'disallowed_schemes).' % scheme)
    host = normalize_host(parsed.hostname)
    if host is None or not _allowed(host, opts.allowed_hosts, opts.disallowed_hosts):
        raise Refused('URI for web-download does not pass filtering: host %r is not '
                      'allowed ([import_filtering_opts] allowed_hosts, disallowed_hosts).'
                      % parsed.hostname)
    if port is not None and not _allowed(port, opts.allowed_ports, opts.disallowed_ports):
        raise Refused('URI for web-download does not pass filtering: port %d is not '
                      'allowed ([import_filtering_opts] allowed_ports, disallowed_ports).'
                      % port)
    return scheme, host, port if port is not None else DEFAULT_PORTS.get(scheme)


def resolve(host, port):
    """The addresses ``host`` resolves to (socket.getaddrinfo)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused('web-download: host %r cannot be resolved (%s).' % (host, exc)) \
            from exc
    return sorted({info[4][0].split('%')[0] for info in infos})


def check_addresses(opts, host, addresses):
    """Refused when one of ``addresses`` (what ``host`` resolved to) is link-local or a
    metadata address, unless allowed_hosts names the host or that address."""
    allowed = set(opts.allowed_hosts or ())
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if any(ip in net for net in LINK_LOCAL) and host not in allowed and \
                str(ip) not in allowed:
            raise Refused('URI for web-download does not pass filtering: host %r is (or '
                          'resolves to) the link-local or metadata address %s; list it in '
                          '[import_filtering_opts] allowed_hosts to allow it.'
                          % (host, ip))


def check_before_request(opts, uri, resolver=resolve):
    """Every check, name resolution included; -> the addresses the request may use."""
    _, host, port = check_uri(opts, uri)
    addresses = list(resolver(host, port))
    try:
        # An address in the URI is checked as itself, whatever a resolver says.
        addresses.append(str(ipaddress.ip_address(host)))
    except ValueError:
        pass
    if not addresses:
        raise Refused('web-download: host %r resolves to no address.' % host)
    check_addresses(opts, host, addresses)
    return addresses
