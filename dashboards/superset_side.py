"""Run inside .venv-superset (not the project's venv): import or export with Superset's commands.

    python superset_side.py import BUNDLE.zip      # passwords: $IVICA_SUPERSET_PASSWORDS (JSON)
    python superset_side.py export DASHBOARD_UUID OUT.zip

Only the standard library and Superset are importable here. The import is Superset's
ImportAssetsCommand, the command behind POST /api/v1/assets/import/: it overwrites every
database, dataset, chart and dashboard of the bundle (the dashboard importer and
`superset import-dashboards` keep existing charts unchanged).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile


def main(argv: list[str]) -> int:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset.utils.core import override_user

        from superset import db, security_manager

        username = os.environ.get("SUPERSET_ADMIN_USER") or "admin"
        user = security_manager.find_user(username=username)
        if user is None:
            print(f"no Superset user {username!r}: run `ivica superset bootstrap`", file=sys.stderr)
            return 2
        with override_user(user):
            if argv[0] == "import":
                from superset.commands.importers.v1.assets import ImportAssetsCommand
                from superset.commands.importers.v1.utils import get_contents_from_bundle

                with zipfile.ZipFile(argv[1]) as bundle:
                    contents = get_contents_from_bundle(bundle)
                passwords = json.loads(os.environ.get("IVICA_SUPERSET_PASSWORDS") or "{}")
                try:
                    ImportAssetsCommand(contents, passwords=passwords).run()
                except Exception as exc:
                    normalized = getattr(exc, "normalized_messages", None)
                    messages = normalized() if normalized else ""
                    print(f"import failed: {exc}: {messages}", file=sys.stderr)
                    return 1
                print(f"imported {len(contents)} files")
            elif argv[0] == "export":
                from superset.commands.dashboard.export import ExportDashboardsCommand
                from superset.models.dashboard import Dashboard

                dash = db.session.query(Dashboard).filter_by(uuid=argv[1]).one_or_none()
                if dash is None:
                    print(f"no dashboard with uuid {argv[1]}: import it first", file=sys.stderr)
                    return 1
                with zipfile.ZipFile(argv[2], "w") as out:
                    for name, content in ExportDashboardsCommand([dash.id]).run():
                        out.writestr(name, content())
                print(f"exported dashboard {dash.id}")
            else:
                print(__doc__, file=sys.stderr)
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
