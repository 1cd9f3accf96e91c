"""Run by Superset's own Python (the Superset virtualenv), not the project's: `motcua bi` calls
`<superset-venv>/bin/python bi/provision.py BUNDLE.zip` after `superset db upgrade` and `init`.

Inside Superset's application it
1. creates the admin user, or sets its password to the one in the secrets file (so the file
   stays the truth after it is regenerated);
2. imports the bundle (databases, datasets, charts, dashboards) with ImportAssetsCommand, the
   importer meant for assets kept under source control: every object is overwritten by UUID,
   columns and metrics not in the YAML are removed, a dashboard's charts are exactly its YAML's.
   The warehouse password is handed to the importer, never written into the bundle.
3. gives each native filter of the bundle's dashboards the ids of the charts it applies to
   (`chartsInScope`: the dashboard's charts but the `scope.excluded` ones). The import format
   carries chart ids the importer does not renumber there, and the filter bar reads them.

Environment: SUPERSET_ADMIN_PASSWORD, SUPERSET_BI_PASSWORD (plus what bi/superset_config.py reads).
Prints one line per imported dashboard: `<slug> <id>`. Exit 0, or 2 with one line on stderr.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any
from uuid import UUID
from zipfile import ZipFile

import yaml

DATABASE_FILE = "databases/motcua_bi.yaml"


def scope_native_filters(dashboard: Any) -> None:
    """chartsInScope of each native filter from the imported layout's chart ids and the filter's
    `scope.excluded` (which the importer did renumber); no tabs on these dashboards."""
    metadata = json.loads(dashboard.json_metadata or "{}")
    filters = metadata.get("native_filter_configuration") or []
    if not filters:
        return
    charts = [item["meta"]["chartId"] for item in json.loads(dashboard.position_json or "{}").values()
              if isinstance(item, dict) and item.get("type") == "CHART"]
    for native_filter in filters:
        excluded = set((native_filter.get("scope") or {}).get("excluded") or [])
        native_filter["chartsInScope"] = [chart for chart in charts if chart not in excluded]
        native_filter["tabsInScope"] = []
    dashboard.json_metadata = json.dumps(metadata)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: provision.py BUNDLE.zip", file=sys.stderr)
        return 2
    admin_password = os.environ.pop("SUPERSET_ADMIN_PASSWORD", "")
    bi_password = os.environ.pop("SUPERSET_BI_PASSWORD", "")
    if not admin_password or not bi_password:
        print("provision.py: SUPERSET_ADMIN_PASSWORD and SUPERSET_BI_PASSWORD must be set", file=sys.stderr)
        return 2

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.models.dashboard import Dashboard
        from superset.utils.core import override_user

        admin = security_manager.find_user(username="admin")
        if admin is None:
            role = security_manager.find_role("Admin")
            admin = security_manager.add_user("admin", "Quản trị", "Admin", "admin@localhost", role,
                                              password=admin_password)
            if not admin:
                print("provision.py: could not create the admin user", file=sys.stderr)
                return 2
        else:
            security_manager.reset_password(admin.id, admin_password)

        with ZipFile(argv[0]) as bundle:
            contents = get_contents_from_bundle(bundle)
        with override_user(admin):
            ImportAssetsCommand(contents, passwords={DATABASE_FILE: bi_password}).run()
        ours = {UUID(str(yaml.safe_load(text)["uuid"])) for name, text in contents.items() if name.startswith("dashboards/")}
        for dashboard in db.session.query(Dashboard).filter(Dashboard.uuid.in_(ours)):
            scope_native_filters(dashboard)
        db.session.commit()
        for dashboard in db.session.query(Dashboard).order_by(Dashboard.id):
            if dashboard.slug:
                print(dashboard.slug, dashboard.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
