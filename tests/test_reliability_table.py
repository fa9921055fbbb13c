"""Index of the reliability table (every bad input gets one clear error, crashes lose nothing): row → the tests that
prove it. The test below collects every node id listed here, so a renamed or deleted test fails the suite instead
of silently leaving its row unproven.

Row: dataset root missing, or layout not recognised — one line: which dataset, which path, which layout expected
    tests/framework/data/test_data_lol.py::test_wrong_layout_is_one_line_naming_dataset_path_and_expectation
    tests/framework/data/test_data_lol.py::test_missing_root_and_bad_split
    tests/framework/data/test_data_sid_smid.py::test_unrecognised_layout_is_one_line
    tests/framework/data/test_data_sid_smid.py::test_smid_needs_its_test_list
    tests/framework/data/test_data_paired.py::test_missing_folders_fail
    tests/framework/data/test_data_paired.py::test_relative_root_is_not_applied_twice
    tests/framework/cli/test_cli_train.py::test_dataset_root_problem_names_dataset_path_and_layout

Row: low image without partner (and vice versa), pair size mismatch — names both paths; --skip-bad-pairs logs, skips
    tests/framework/data/test_data_paired.py::test_missing_partner_names_file_and_expected_folder
    tests/framework/data/test_data_paired.py::test_missing_file_in_explicit_list_is_caught_at_construction
    tests/framework/data/test_data_paired.py::test_size_mismatch_names_both_paths_and_sizes
    tests/framework/data/test_data_lol.py::test_lolv2_real_number_without_partner_fails
    tests/framework/data/test_data_sid_smid.py::test_sid_scene_without_ground_truth_folder_fails_naming_both
    tests/framework/data/test_data_paired.py::test_orphans_are_skipped_with_a_warning_when_asked
    tests/framework/data/test_data_paired.py::test_bad_pairs_fall_through_to_the_next_valid_index
    tests/framework/data/test_data_paired.py::test_drop_bad_pairs_removes_them_instead_of_substituting_a_neighbour
    tests/framework/data/test_data_paired.py::test_all_bad_pairs_fail_with_one_message
    tests/framework/engine/test_builders.py::test_eval_splits_drop_bad_pairs_and_train_keeps_falling_through
    tests/framework/cli/test_cli_train.py::test_skip_bad_pairs_option_trains_on_the_good_pairs
    tests/framework/cli/test_cli_eval.py::test_skip_bad_pairs_leaves_the_pair_out_of_the_means

Row: corrupt / truncated image, zero-byte file — names the file; no partial outputs written
    tests/framework/data/test_data_io.py::test_zero_byte_file_fails_naming_it
    tests/framework/data/test_data_io.py::test_truncated_files_fail_naming_them
    tests/framework/data/test_data_io.py::test_truncated_16bit_png_fails
    tests/framework/data/test_data_io.py::test_garbage_and_missing_files_fail
    tests/framework/data/test_data_io.py::test_npy_with_unusable_shape_or_dtype_fails
    tests/framework/data/test_data_io.py::test_write_image_is_atomic
    tests/framework/test_errors.py::test_worker_reraised_error_becomes_its_original_line
    tests/framework/cli/test_cli_train.py::test_broken_training_image_is_one_line_naming_it
    tests/framework/cli/test_cli_eval.py::test_broken_image_fails_naming_it_and_writes_no_json

Row: 16-bit PNG, grayscale, RGBA, palette, EXIF-rotated JPEG — a documented conversion (framework/data/io.py)
    tests/framework/data/test_data_io.py::test_16bit_colour_png_keeps_all_bits
    tests/framework/data/test_data_io.py::test_16bit_grey_png_is_scaled_and_replicated
    tests/framework/data/test_data_io.py::test_grayscale_8bit_is_replicated
    tests/framework/data/test_data_io.py::test_rgba_alpha_is_dropped_not_composited
    tests/framework/data/test_data_io.py::test_grey_alpha_is_dropped
    tests/framework/data/test_data_io.py::test_palette_image_is_expanded_to_its_colours
    tests/framework/data/test_data_io.py::test_jpeg_exif_orientation_is_applied

Row: YAML syntax error, unknown key, wrong type, bad _base_ path, override of a non-existent key — one line naming
file + key (+ closest valid key)
    tests/framework/config/test_config_loader.py::test_yaml_syntax_error_names_file_and_line
    tests/framework/config/test_config_loader.py::test_unknown_top_level_key
    tests/framework/config/test_config_loader.py::test_wrong_type
    tests/framework/config/test_config_loader.py::test_bool_is_not_an_int
    tests/framework/config/test_config_loader.py::test_missing_required_key
    tests/framework/config/test_config_loader.py::test_bad_base_path
    tests/framework/config/test_config_loader.py::test_override_of_missing_key_names_closest
    tests/framework/config/test_config_loader.py::test_missing_file
    tests/framework/test_registry.py::test_bad_keyword_names_the_component
    tests/framework/test_registry.py::test_misspelt_argument_names_the_closest_one
    tests/framework/cli/test_cli_train.py::test_config_mistake_is_one_line_naming_file_and_key

Row: unknown component name — names the registry and the closest names
    tests/framework/test_registry.py::test_unknown_name_is_one_line_with_registry_and_closest_names
    tests/framework/cli/test_cli_train.py::test_config_mistake_is_one_line_naming_file_and_key[unknown_component]

Row: a third-party plugin that raises on import — warning naming it; others load; error only if the config uses it
    tests/framework/test_plugin_door.py::test_broken_plugin_warns_and_others_still_load
    tests/framework/test_plugin_door.py::test_plugin_whose_hook_raises_leaves_nothing_registered

Row: checkpoint missing file, wrong architecture (key mismatch), truncated file — clear error listing missing /
unexpected keys (first few)
    tests/framework/test_checkpoints.py::test_missing_file_names_key_path_and_fix
    tests/framework/test_checkpoints.py::test_missing_trained_checkpoint_does_not_suggest_random_init
    tests/framework/test_checkpoints.py::test_directory_is_not_a_checkpoint
    tests/framework/test_checkpoints.py::test_truncated_file
    tests/framework/test_checkpoints.py::test_empty_file
    tests/framework/test_checkpoints.py::test_pointer_file_names_the_checkpoint_it_points_to
    tests/framework/test_checkpoints.py::test_not_a_state_dict
    tests/framework/test_checkpoints.py::test_key_mismatch_message_lists_first_keys_and_counts
    tests/framework/test_checkpoints.py::test_shape_mismatch_is_reported_and_non_strict_loads_what_fits
    tests/framework/cli/test_cli_eval.py::test_bad_checkpoint_is_one_line
    tests/framework/cli/test_cli_eval.py::test_wrong_architecture_lists_missing_and_unexpected_keys

Row: checkpoint carrying a pickled object that would run code — refused by weights-only loading (crafted files)
    tests/framework/test_checkpoints.py::test_malicious_pickle_is_refused_and_not_executed
    tests/framework/test_checkpoints.py::test_malicious_pickle_in_other_containers_is_refused
    tests/framework/engine/test_safe_checkpoint.py::test_unconverted_state_is_refused_by_weights_only_loading
    tests/framework/engine/test_training.py::test_train_writes_weights_only_loadable_checkpoints
    tests/framework/cli/test_cli_eval.py::test_bad_checkpoint_is_one_line[malicious_pickle]

Row: NaN / Inf loss — the run stops at that iteration with the loss terms named and the last good checkpoint kept
    tests/framework/engine/test_safety.py::test_nan_loss_stops_with_the_term_named_and_keeps_last_good_checkpoint

Row: SIGKILL during checkpoint write or results append — previous checkpoint and all finished rows intact
    tests/framework/engine/test_safety.py::test_sigkill_during_checkpoint_write_keeps_the_previous_one_and_resume_continues
    tests/framework/engine/test_safety.py::test_checkpoint_write_is_atomic
    tests/framework/sweep/test_sweep_store.py::test_sigkill_during_append_keeps_every_finished_row
    tests/framework/sweep/test_sweep_store.py::test_concurrent_writers_lose_no_rows
    tests/framework/sweep/test_sweep_run_cell.py::test_a_truncated_last_checkpoint_falls_back_to_the_newest_intact_one
    tests/framework/sweep/test_sweep_kill.py::test_sigkill_mid_cell_then_rerun

Row: two sweep processes on the same work dir — a lock: the second says who holds it and exits
    tests/framework/sweep/test_sweep_launch.py::test_second_sweep_process_says_who_holds_the_lock_and_exits
    tests/framework/sweep/test_sweep_run_cell.py::test_a_cell_run_elsewhere_is_reported_busy_and_left_alone

Row: disk full / read-only output dir — clear error before training starts when detectable
    tests/framework/engine/test_safety.py::test_read_only_work_dir_fails_before_training
    tests/framework/engine/test_safety.py::test_disk_space_check_names_the_need
    tests/framework/cli/test_cli_train.py::test_unwritable_work_dir_is_one_line_before_training
    tests/framework/cli/test_cli_train.py::test_full_disk_is_one_line_before_training
    tests/framework/cli/test_cli_eval.py::test_unwritable_json_destination_fails_before_evaluating
    tests/framework/cli/test_cli_enhance_failures.py::test_unwritable_output_folder_fails_naming_it
    tests/framework/sweep/test_sweep_launch.py::test_unusable_work_dir_is_one_line

Row: same config + seed twice on CPU — identical metrics, and the seed recorded in every result row
    tests/framework/engine/test_training.py::test_same_config_and_seed_give_identical_metrics
    tests/framework/data/test_data_paired.py::test_random_crops_are_reproducible_per_seed
    tests/framework/sweep/test_sweep_store.py::test_every_row_records_its_cells_seed
    tests/framework/sweep/test_sweep_run.py::test_every_row_records_the_seed_its_cell_ran_with

Row: llie enhance on a folder with one bad file — all good outputs written, the bad one reported at the end, exit != 0
    tests/framework/cli/test_cli_enhance_failures.py::test_folder_with_bad_files_writes_all_good_outputs_and_reports_the_bad
    tests/framework/cli/test_cli.py::test_enhance_folder_keeps_sizes_and_reports_bad_files
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_ID = re.compile(r"^\s+(tests/\S+\.py)::(\w+)(?:\[([^\]]+)\])?$")


def table_rows() -> dict[str, list[str]]:
    """Row title → node ids, read from this module's docstring."""
    rows: dict[str, list[str]] = {}
    title = ""
    for line in (__doc__ or "").splitlines():
        if line.startswith("Row: "):
            title = line[len("Row: "):]
            rows[title] = []
        elif NODE_ID.match(line):
            rows[title].append(line.strip())
    return rows


def _problem(node_id: str) -> str | None:
    """Why ``node_id`` does not name a test (file, test function, and parametrisation id), or None. Read from the
    source without importing it, so the check costs nothing and cannot be fooled by an import-time side effect."""
    path, name, param = NODE_ID.match("    " + node_id).groups()
    file = ROOT / path
    if not file.is_file():
        return "no such file"
    module = ast.parse(file.read_text())
    tests = {n.name: n for n in ast.walk(module) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if name not in tests:
        return "no such test function"
    if param is not None:
        decorators = [ast.unparse(d) for d in tests[name].decorator_list]
        if not any("parametrize" in d for d in decorators):
            return "not parametrised"
        literals = {n.value for n in ast.walk(module) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if param not in literals:
            return f"no parametrisation id {param!r}"
    return None


def test_every_row_names_tests():
    rows = table_rows()
    assert len(rows) == 15 and all(rows.values()), {title: len(nodes) for title, nodes in rows.items()}


def test_every_listed_test_exists():
    ids = sorted({node for nodes in table_rows().values() for node in nodes})
    problems = {node: why for node in ids if (why := _problem(node)) is not None}
    assert not problems, problems
