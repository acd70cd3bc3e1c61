"""``mailroom review`` (serve the application) and ``mailroom users add|list|passwd|disable``.

Passwords are read from the terminal (twice) or, for scripts, from standard input with
``--password-stdin``; never from the command line, where other users could see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from mailroom.settings import Settings
from review.auth import WeakPassword, hash_password
from review.store import ROLES, ReviewStore, UnknownUser, UserExists, open_review_store

EXIT_OK = 0
EXIT_USAGE = 2


def _store(settings: Settings) -> ReviewStore:
    return open_review_store(settings.storage)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    second = getpass.getpass("Encore : ")
    if first != second:
        raise WeakPassword("les deux saisies diffèrent")
    return first


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from review.app import build_app

    review = settings.review
    if args.host is not None:
        review = review.model_copy(update={"host": args.host})
    if args.port is not None:
        review = review.model_copy(update={"port": args.port})
    app = build_app(settings, review)
    uvicorn.run(app, host=review.host, port=review.port, log_level="warning", access_log=False)
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    try:
        store.add_user(args.username, hash_password(_read_password(args)), args.role)
    except (WeakPassword, UserExists) as e:
        print(f"mailroom: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    print(f"compte {args.username} ({args.role}) créé")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    try:
        for user in store.users():
            state = "actif" if user.active else "désactivé"
            print(f"{user.username}\t{user.role}\t{state}\t{user.created_at:%Y-%m-%d}")
    finally:
        store.close()
    return EXIT_OK


def cmd_users_passwd(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    try:
        store.set_password_hash(args.username, hash_password(_read_password(args)))
    except (WeakPassword, UnknownUser) as e:
        print(f"mailroom: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    print(f"mot de passe de {args.username} changé (ses sessions sont fermées)")
    return EXIT_OK


def cmd_users_disable(args: argparse.Namespace, settings: Settings) -> int:
    store = _store(settings)
    try:
        store.set_active(args.username, False)
    except UnknownUser as e:
        print(f"mailroom: compte inconnu : {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    print(f"compte {args.username} désactivé")
    return EXIT_OK


def add_review_commands(subparsers: Any) -> None:
    """Register ``review`` and ``users add|list|passwd|disable``; each sets
    ``func(args, settings)``."""
    review = subparsers.add_parser("review", help="serve the review web application")
    review.add_argument("--host", default=None, help="listen address (MAILROOM_REVIEW__HOST)")
    review.add_argument("--port", type=int, default=None, help="port (MAILROOM_REVIEW__PORT)")
    review.set_defaults(func=cmd_review)

    users = subparsers.add_parser("users", help="accounts of the review application")
    sub = users.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password on stdin")
    add.set_defaults(func=cmd_users_add)
    listing = sub.add_parser("list", help="list accounts")
    listing.set_defaults(func=cmd_users_list)
    passwd = sub.add_parser("passwd", help="change an account's password")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_users_passwd)
    disable = sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("username")
    disable.set_defaults(func=cmd_users_disable)
