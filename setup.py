"""Python packaging for development checkouts and pip users.

A ROS 2 workspace builds this package with ``colcon build`` through CMakeLists.txt
(ament_cmake: interfaces plus these sources). A development checkout uses ``make``,
which builds the interfaces into .venv and installs these sources in editable mode.
"""

from setuptools import find_packages, setup

setup(
    name="robomatrix",
    version="0.1.0",
    description="Skill-centric robot agent: natural-language tasks to meta-skills to motion, on ROS 2",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["robomatrix", "robomatrix.*"]),
    entry_points={"console_scripts": ["robomatrix = robomatrix.cli:main"]},
)
