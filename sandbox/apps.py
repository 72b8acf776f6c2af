from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Runs (demos and code)"

    def ready(self) -> None:
        # Fill the demo registry once at start-up, before threads serve requests: the engine's
        # load_all() marks itself done before its imports finish, so a second thread arriving
        # mid-load would see an empty registry and answer "unknown demo".
        from engine.demos import load_all
        from sandbox import checks  # noqa: F401  (registers the settings checks)

        load_all()
