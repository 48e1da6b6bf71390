"""The images on the Python base (airflow, dbt, streaming), from scratch: the first of them makes
the base by mmdebstrap, the others reuse it. See tests/platform/images_build.py."""

from __future__ import annotations

import pytest

from tests.platform.images_build import (  # noqa: F401 - the shared fixture and tests, collected here
    clean_build,
    pytest_generate_tests,
    test_image_files_are_normalised,
    test_packages_in_the_image_are_its_lock_group_and_the_gates_versions,
    test_two_clean_builds_give_the_locked_digests,
)

# The clean build is the module fixture: it runs in the setup of whichever test comes first, so the
# whole module gets the build's allowance (pytest's default 600 s would cut a cold build short).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]

IMAGES = ["airflow", "dbt", "streaming"]
