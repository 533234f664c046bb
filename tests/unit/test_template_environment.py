"""The app's Jinja environment: globals and dotted names that behave as Jinja's own, faster."""

from collections import ChainMap

from flask import Flask
from jinja2 import DictLoader, Environment

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


def test_dotted_names_answer_as_in_jinja():
    env = TemplateEnvironment(Flask(__name__))
    plain = Environment(autoescape=True)

    class Thing:
        shade = "dark"

        def __getitem__(self, key):
            return f"item {key}"

    values = {
        "row": {"position": "Врач", "items": "stored", "none": None},
        "thing": Thing(),
        "word": "abc",
    }
    source = (
        "{{ row.position }}|{{ row.none }}|{{ row.missing is undefined }}|"
        "{{ row['items'] }}|{{ row.items is callable }}|{{ row.items() | list | length }}|"
        "{{ thing.shade }}|{{ thing.other }}|{{ word.upper() }}|{{ word.nothing is undefined }}"
    )
    assert env.from_string(source).render(values) == plain.from_string(source).render(values)
    assert env.from_string(source).render(values) == (
        "Врач|None|True|stored|True|3|dark|item other|ABC|True"
    )
