"""The result-file reader: accepts what the schema allows, refuses the rest."""

import json
import os
import tempfile
import unittest

import script_runner
import synthetic_results as syn
from stalloc_results import InputError, load, machine_line

SCHEMA = os.path.join(script_runner.ROOT, "results", "schema", "results.schema.json")


class SyntheticFilesTest(unittest.TestCase):
    def test_synthetic_is_schema_valid(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("python3-jsonschema not installed (scripts/deps.sh installs it)")
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.validate(syn.make_run(), schema)
        jsonschema.validate(syn.scaled(syn.make_run(), "stalloc", 1.1), schema)


class ReaderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, doc, name="r.json"):
        return syn.write(doc, self.path(name))

    def test_reads_rows_cells_and_labels(self):
        r = load(self.write(syn.make_run()))
        labels = [r.row_label(row) for row in r.rows()]
        self.assertEqual(labels[:4], ["small-objects", "random-free live=16", "random-free live=256",
                                      "random-free live=4096"])
        self.assertIn("larson x1", labels)
        self.assertIn("larson x2", labels)
        cells = r.cells()
        e = [v for (row, a), v in cells.items() if a == "stalloc" and row.workload == "small-objects"][0]
        self.assertTrue(e.ok)
        self.assertEqual(len(e.samples), 10)
        self.assertIsNotNone(e.speedup_vs_system)
        self.assertEqual(len(e.cpu_samples), len(e.samples))
        na = [v for (row, a), v in cells.items() if a == "stalloc" and row.workload == "larson"]
        self.assertTrue(all(v.status == "not_applicable" and not v.ok for v in na))
        self.assertIn("testbox", machine_line(r.context))

    def assert_refused(self, doc_or_text, *fragments):
        p = self.path("bad.json")
        with open(p, "w", encoding="utf-8") as f:
            f.write(doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text))
        with self.assertRaises(InputError) as cm:
            load(p)
        for frag in fragments:
            self.assertIn(frag, str(cm.exception))

    def test_missing_file(self):
        with self.assertRaises(InputError) as cm:
            load(self.path("nope.json"))
        self.assertIn("no such file", str(cm.exception))

    def test_not_json(self):
        self.assert_refused("{ this is not json", "not valid JSON")

    def test_other_schema_version(self):
        doc = syn.make_run()
        doc["schema_version"] = 3
        self.assert_refused(doc, "schema version 3", "versions 1, 2 only")

    def test_version_1_reads_the_same_speedup(self):
        # Version 1 had both names; speedup_vs_system meant system / this then too.
        doc = syn.make_run()
        doc["schema_version"] = 1
        for e in doc["entries"]:
            if e["status"] == "ok":
                t = e["timing"]
                t["ratio_to_system"] = 1 / t["speedup_vs_system"] if t["speedup_vs_system"] else None
                del t["cpu_ns_per_op"]
        r = load(self.write(doc))
        e = [v for v in r.entries if v.allocator == "stalloc" and v.ok][0]
        system = [v for v in r.entries if v.allocator == "system" and v.row == e.row][0]
        self.assertAlmostEqual(e.speedup_vs_system, system.median / e.median)
        self.assertEqual(e.cpu_samples, [])

    def test_cpu_times_must_match_the_repetitions(self):
        doc = syn.make_run()
        doc["entries"][0]["timing"]["cpu_ns_per_op"] = [1.0]
        self.assert_refused(doc, "cpu_ns_per_op")

    def test_no_schema_version(self):
        self.assert_refused({"entries": []}, "no schema_version")

    def test_missing_field(self):
        doc = syn.make_run()
        del doc["entries"][0]["timing"]["ns_per_op"]
        self.assert_refused(doc, "ns_per_op", "small-objects / stalloc")

    def test_wrong_type(self):
        doc = syn.make_run()
        doc["entries"][0]["timing"]["ns_per_op_median"] = "fast"
        self.assert_refused(doc, "ns_per_op_median", "wrong type")

    def test_bool_is_not_a_number(self):
        doc = syn.make_run()
        doc["entries"][0]["threads"] = True
        self.assert_refused(doc, "threads")

    def test_duplicate_cell(self):
        doc = syn.make_run()
        doc["entries"].append(doc["entries"][0])
        self.assert_refused(doc, "appears twice")

    def test_no_entries(self):
        doc = syn.make_run()
        doc["entries"] = []
        self.assert_refused(doc, "no entries")

    def test_instruction_file_derives_speedup(self):
        r = load(self.write(syn.instruction_run()))
        self.assertEqual(r.kind, "instructions")
        e = [v for v in r.entries if v.allocator == "stalloc"][0]
        self.assertAlmostEqual(e.speedup_vs_system, 95.5 / 105.8)
        self.assertEqual(e.unit, "instr/op")


if __name__ == "__main__":
    unittest.main()
