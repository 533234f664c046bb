"""The app's Jinja environment makes template globals that behave like Jinja's own ChainMap."""

from collections import ChainMap

from flask import Flask
from jinja2 import DictLoader

from webapp import Medkab, TemplateEnvironment, TemplateGlobals


def test_template_globals_are_jinja_s_chain_map_with_the_same_keys():
    env = TemplateEnvironment(Flask(__name__))
    own = {"only_here": 1}
    made = env.make_globals(own)
    assert isinstance(made, TemplateGlobals) and isinstance(made, ChainMap)
    assert set(made.keys()) == set(ChainMap(own, env.globals).keys())
    env.globals["added_later"] = 2  # the environment's globals stay live, as in Jinja
    assert "added_later" in set(made.keys()) and made["added_later"] == 2
    made["template_own"] = 3  # a template's own never reach the environment
    assert "template_own" not in env.globals


def test_imports_see_the_globals_they_saw_before():
    env = TemplateEnvironment(
        Flask(__name__),
        loader=DictLoader(
            {
                "lib.html": "{% macro say() %}{{ shade }}/{{ page_only }}{% endmacro %}",
                "page.html": '{% import "lib.html" as lib %}{{ lib.say() }}',
            }
        ),
    )
    env.globals["shade"] = "dark"
    assert env.get_template("page.html").render() == "dark/"  # the cached module
    # a page with globals of its own: the import gets a module that sees them
    page = env.get_template("page.html", globals={"page_only": "mine"})
    assert page.render() == "dark/mine"
    assert Medkab.jinja_environment is TemplateEnvironment
