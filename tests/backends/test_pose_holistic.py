"""MediaPipe Holistic from the wheel's own models on real photos: one pass, pose, face mesh, hands."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.photos import framed_3_4, real_photos
from vtondata.backends import build_pose_backend, pose_holistic, resolve_backend_weights
from vtondata.backends.pose_holistic import untracked_holistic_graph, with_head_room, without_hands
from vtondata.config.pose import HolisticPoseConfig
from vtondata.geometry.keypoints import J, load_openpose_json
from vtondata.geometry.parsing import read_label_map

LIP_FACE = 13

pytestmark = pytest.mark.slow


def _rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def predictions():
    backend = build_pose_backend(HolisticPoseConfig())
    photos = real_photos()
    return photos, backend.predict([_rgb(path) for path in photos])


def test_models_come_from_the_wheel_and_are_hashed() -> None:
    files = resolve_backend_weights(HolisticPoseConfig())
    assert {"detector_model", "landmark_model", "face_model", "hand_model", "hand_recrop_model"} <= set(files)
    assert all(len(found.sha256) == 64 and found.path.is_file() for found in files.values())


def test_every_photo_gives_pose_silhouette_and_landmark_sets(predictions):
    photos, results = predictions
    assert len(results) == len(photos) == 16
    faces = hands = 0
    for path, result in zip(photos, results, strict=True):
        assert result.num_people == 1, path.name
        assert result.keypoints_px.shape == (1, 17, 3)
        assert result.silhouette is not None and 0.1 < result.silhouette.mean() < 0.7, path.name
        assert result.landmarks_px["pose33"].shape == (33, 3)
        if "face" in result.landmarks_px:
            assert result.landmarks_px["face"].shape == (478, 3)
            faces += 1
        hands += sum(name in result.landmarks_px for name in ("left_hand", "right_hand"))
        for name in ("left_hand", "right_hand"):
            if name in result.landmarks_px:
                assert result.landmarks_px[name].shape == (21, 3)
    # One photo is cut above the mouth (no mesh can be found); every other face is.
    assert faces >= 15
    assert hands >= 28  # of 32 hands, a few hide in pockets or behind the body


def test_without_hand_landmarks_the_pass_gives_the_same_pose_silhouette_and_face(predictions):
    photos, results = predictions
    config = HolisticPoseConfig(hand_landmarks=False)
    assert not {"hand_model", "hand_recrop_model"} & set(resolve_backend_weights(config))
    light = build_pose_backend(config).predict([_rgb(path) for path in photos])
    for path, full, without in zip(photos, results, light, strict=True):
        assert not {"left_hand", "right_hand"} & set(without.landmarks_px), path.name
        assert without.landmarks_px.keys() == full.landmarks_px.keys() - {"left_hand", "right_hand"}
        np.testing.assert_array_equal(without.keypoints_px, full.keypoints_px, err_msg=path.name)
        np.testing.assert_array_equal(without.silhouette, full.silhouette, err_msg=path.name)
        for name, points in without.landmarks_px.items():
            np.testing.assert_array_equal(points, full.landmarks_px[name], err_msg=f"{path.name} {name}")


def test_the_lite_hand_model_moves_only_the_hands_and_by_a_few_percent_of_their_size(predictions):
    photos, results = predictions
    config = HolisticPoseConfig(hand_model="lite")
    assert resolve_backend_weights(config)["hand_model"].path.name == "hand_landmark_lite.tflite"
    lite = build_pose_backend(config).predict([_rgb(path) for path in photos])
    shifts = []
    for path, full, light in zip(photos, results, lite, strict=True):
        assert light.landmarks_px.keys() == full.landmarks_px.keys(), path.name
        np.testing.assert_array_equal(light.keypoints_px, full.keypoints_px, err_msg=path.name)
        np.testing.assert_array_equal(light.silhouette, full.silhouette, err_msg=path.name)
        for name in ("left_hand", "right_hand"):
            if name in full.landmarks_px:
                ours, theirs = light.landmarks_px[name][:, :2], full.landmarks_px[name][:, :2]
                size = np.linalg.norm(theirs.max(axis=0) - theirs.min(axis=0))
                shifts.append(float(np.linalg.norm(ours - theirs, axis=1).mean() / size))
    # Another model: every hand moves, by 1-8 % of its size on these photos.
    assert len(shifts) >= 28 and min(shifts) > 0
    assert max(shifts) < 0.12 and np.median(shifts) < 0.04, shifts


def test_keypoints_match_the_vitonhd_ground_truth(predictions, vitonhd_dir):
    photos, results = predictions
    errors = []
    for path, result in zip(photos, results, strict=True):
        if path.parent.name != "image":
            continue
        truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{path.stem}_keypoints.json")
        for name in ("nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_elbow"):
            row = J[name]
            if truth[row, 2] > 0.1 and result.keypoints_px[0, row, 2] > 0.3:
                errors.append(float(np.hypot(*(result.keypoints_px[0, row, :2] - truth[row, :2]))))
    assert len(errors) >= 25
    assert np.median(errors) < 25, errors


def test_the_backend_pickles_without_its_graph():
    import pickle

    backend = build_pose_backend(HolisticPoseConfig())
    backend.load()
    copy = pickle.loads(pickle.dumps(backend))
    assert copy._solution is None and copy._face_solution is None and copy.config == backend.config


def test_close_ends_the_graphs_and_the_next_call_opens_them_again():
    """A MediaPipe graph keeps its threads and about 200 MB until it is closed, even once nothing
    refers to it: builds in one process (a notebook, the tests) grew by that much each."""
    photo = _rgb(real_photos()[0])
    backend = build_pose_backend(HolisticPoseConfig())
    first = backend.predict([photo])[0]
    graph = backend._solution
    backend.close()
    assert backend._solution is None and backend._face_solution is None
    with pytest.raises(ValueError, match="is None in SolutionBase"):
        graph.process(photo)
    again = backend.predict([photo])[0]
    np.testing.assert_array_equal(again.keypoints_px, first.keypoints_px)
    backend.close()
    backend.close()  # closing twice is harmless


def test_landmarks_do_not_depend_on_the_photo_before():
    # The same person a few pixels to the side: Holistic's trackers would keep the first photo's
    # face and hand crops for the second one.
    first = _rgb(real_photos()[-1])
    shifted = np.ascontiguousarray(np.roll(first, 7, axis=1))
    after_first = build_pose_backend(HolisticPoseConfig()).predict([first, shifted])[1]
    alone = build_pose_backend(HolisticPoseConfig()).predict([shifted])[0]
    assert {"face", "left_hand", "right_hand"} <= set(alone.landmarks_px)
    assert alone.landmarks_px.keys() == after_first.landmarks_px.keys()
    for name, points in alone.landmarks_px.items():
        np.testing.assert_array_equal(points, after_first.landmarks_px[name], err_msg=name)


def test_the_graph_keeps_no_crop_from_one_photo_to_the_next():
    from mediapipe.modules.holistic_landmark.calculators.roi_tracking_calculator_pb2 import (
        RoiTrackingCalculatorOptions,
    )

    graph = untracked_holistic_graph()
    trackers = [node for node in graph.node if node.calculator == "RoiTrackingCalculator"]
    assert len(trackers) == 3
    for node in trackers:
        options = node.options.Extensions[RoiTrackingCalculatorOptions.ext]
        assert options.rect_requirements.rotation_degrees < 0


def _framed_at_the_nose(vitonhd_dir, stem: str) -> tuple[np.ndarray, int]:
    """The sample photo cut by its top edge at the nose, its sides cut to 3:4 about the shoulders and
    scaled to 768x1024, as a catalogue frames a face; and the row of the ground truth's chin there."""
    image = _rgb(vitonhd_dir / "image" / f"{stem}.jpg")
    labels = read_label_map(vitonhd_dir / "image-parse" / f"{stem}.png")
    truth = load_openpose_json(vitonhd_dir / "openpose-json" / f"{stem}_keypoints.json")
    cut, cut_labels = framed_3_4(image, labels, truth, round(float(truth[J["nose"], 1])))
    framed = cv2.resize(cut, (768, 1024), interpolation=cv2.INTER_LINEAR)
    face = cut_labels == LIP_FACE
    chin = int(np.flatnonzero(face.any(axis=1)).max()) * 1024 / face.shape[0]
    return framed, round(chin)


def test_a_face_framed_at_the_nose_gets_its_mesh(vitonhd_dir, monkeypatch):
    stems = sorted(path.stem for path in (vitonhd_dir / "image").glob("*.jpg"))
    framed = [_framed_at_the_nose(vitonhd_dir, stem) for stem in stems]
    results = build_pose_backend(HolisticPoseConfig()).predict([image for image, _ in framed])
    for stem, (_, chin), result in zip(stems, framed, results, strict=True):
        assert result.silhouette is not None and result.silhouette[0].any(), stem  # the frame cuts the head
        assert "face" in result.landmarks_px, stem
        mesh_chin = result.landmarks_px["face"][:, 1].max()
        assert abs(mesh_chin - chin) < 25, (stem, mesh_chin, chin)
    # Without the band of backdrop above the photo, the face detector misses some of these faces.
    monkeypatch.setattr(pose_holistic, "HEAD_ROOM_SHARES", ())
    without = build_pose_backend(HolisticPoseConfig()).predict([image for image, _ in framed])
    assert sum("face" in result.landmarks_px for result in without) < len(stems)
    # The second pass gives the mesh only: pose and silhouette are the photo's own.
    for result, alone in zip(results, without, strict=True):
        np.testing.assert_array_equal(result.keypoints_px, alone.keypoints_px)
        np.testing.assert_array_equal(result.silhouette, alone.silhouette)


def test_head_room_is_a_band_of_the_backdrop_above_the_photo():
    image = np.full((40, 64, 3), (200, 190, 180), dtype=np.uint8)
    image[:, 24:40] = (30, 20, 10)  # a head cut by the top edge, between backdrop at both ends
    padded = with_head_room(image, 10)
    assert padded.shape == (50, 64, 3)
    assert (padded[:10] == (200, 190, 180)).all()
    np.testing.assert_array_equal(padded[10:], image)


def test_the_face_pass_runs_no_hand_models():
    graph = without_hands(untracked_holistic_graph())
    assert not any("hand" in node.name for node in graph.node)
    assert not any("HAND" in stream for stream in graph.output_stream)
    assert any(stream.startswith("FACE_LANDMARKS:") for stream in graph.output_stream)
