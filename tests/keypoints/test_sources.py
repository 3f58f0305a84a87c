"""Every source into one store format: phantom ground truth, Kinect joints files, other
tools' files (MoveNet, MediaPipe, OpenPose, MMPose); each malformed input refused, naming the
file and the row, exit code 2, nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from ictal.fsutil import file_fingerprint
from ictal.keypoints.files import FileSource
from ictal.keypoints.kinect import KinectSource, write_joints
from ictal.keypoints.layout import BODY_JOINTS, B
from ictal.keypoints.mapping import KINECT25
from ictal.keypoints.phantom import PhantomSource
from ictal.keypoints.source import KeypointInputError
from ictal.keypoints.store import read_store, read_track
from ictal.manifest import Manifest, load_manifest
from ictal.manifest.groundtruth import GroundTruth, load_ground_truth
from ictal.phantom.body import J

from .conftest import Ictal

# COCO-17 index of each Kinect joint used to fake other tools' output from the ground truth
COCO_FROM_KINECT = {5: "ShoulderLeft", 6: "ShoulderRight", 7: "ElbowLeft", 8: "ElbowRight",
                    9: "WristLeft", 10: "WristRight", 11: "HipLeft", 12: "HipRight"}


def _gt(m: Manifest, i: int = 0) -> GroundTruth:
    rec = m.recordings[i]
    return load_ground_truth(Path(m.root) / rec.meta["groundtruth"])


def _coco(gt: GroundTruth) -> np.ndarray:
    """(T, 17, 3) COCO-17 pixels from the ground truth: ears placed either side of the head
    (so their midpoint is the head), shoulders / elbows / wrists / hips from the joints."""
    T = gt.n_frames
    out = np.zeros((T, 17, 3))
    head = gt.joints_2d[:, J["Head"]]
    out[:, 0, :2] = head
    out[:, 3, :2] = head + np.array([3.0, 0.0])
    out[:, 4, :2] = head - np.array([3.0, 0.0])
    for k, name in COCO_FROM_KINECT.items():
        out[:, k, :2] = gt.joints_2d[:, J[name]]
    out[..., 2] = 0.8
    out[:, [1, 2, 13, 14, 15, 16], 2] = 0.0  # not given
    return out


def _expected_body(gt: GroundTruth) -> np.ndarray:
    """The 11 joints the COCO fakes must give: the truth, except neck / spine base (midpoints)."""
    body = KINECT25(np.concatenate([gt.joints_2d, np.ones((gt.n_frames, 25, 1))], -1))
    body[:, B["neck"], :2] = gt.joints_2d[:, [J["ShoulderLeft"], J["ShoulderRight"]]].mean(1)
    body[:, B["spine_base"], :2] = gt.joints_2d[:, [J["HipLeft"], J["HipRight"]]].mean(1)
    return body[..., :2]


def _copy(m: Manifest, tmp_path: Path) -> Path:
    shutil.copytree(m.root, tmp_path / "ds")
    return tmp_path / "ds" / "manifest.yaml"


# ---- phantom ----------------------------------------------------------------------------------
def test_phantom_source_gives_the_ground_truth_in_2d_and_3d(phantom: Manifest) -> None:
    gt = _gt(phantom)
    track = PhantomSource()(phantom, phantom.recordings[0])
    assert len(track) == gt.n_frames and track.fps == gt.fps
    np.testing.assert_allclose(track.body[:, B["left_wrist"], :2],
                               gt.joints_2d[:, J["WristLeft"]], atol=1e-4)
    np.testing.assert_allclose(track.body_3d[:, B["neck"]], gt.joints_3d[:, J["SpineShoulder"]],
                               atol=1e-6)
    assert (track.body[..., 2] == 1).all()
    # the face: landmarks on the frames it turns towards the camera, gaps elsewhere
    seen = track.face[..., 2] > 0
    assert seen.mean() > 0.5
    assert np.isnan(track.face[~seen, 0]).all()
    head = gt.joints_2d[:, J["Head"]]
    d = np.linalg.norm(track.face[..., :2] - head[:, None], axis=-1)[seen]
    assert d.max() < 0.25 * gt.width


# ---- kinect -----------------------------------------------------------------------------------
def _with_joints(m: Manifest, tmp_path: Path, rows: slice = slice(None),
                 n_frames: int | None = None) -> tuple[Path, GroundTruth]:
    """A copy of the phantom with a joints stream of recording 0 written from its truth."""
    path = _copy(m, tmp_path)
    gt = _gt(m)
    xyz = gt.joints_3d.copy()
    xyz[..., 1] *= -1  # the SDK's camera space has y up
    state = np.full((gt.n_frames, 25), 2)
    state[:, J["HandTipLeft"]] = 1
    frames = np.arange(gt.n_frames)
    write_joints(path.parent / "joints.csv", frames[rows], xyz[rows], gt.joints_2d[rows],
                 state[rows])
    doc = yaml.safe_load(path.read_text())
    doc["recordings"][0]["streams"].append(
        {"kind": "joints", "path": "joints.csv", "fps": 30,
         **({"n_frames": n_frames} if n_frames else {})})
    path.write_text(yaml.safe_dump(doc))
    return path, gt


def test_kinect_joints_file_becomes_2d_and_3d_keypoints(phantom: Manifest, tmp_path: Path
                                                        ) -> None:
    path, gt = _with_joints(phantom, tmp_path, rows=slice(3, None))
    m = load_manifest(path)
    track = KinectSource()(m, m.recordings[0])
    assert len(track) == gt.n_frames  # every video frame, the first three gaps
    assert (track.body[:3, :, 2] == 0).all() and np.isnan(track.body_3d[:3]).all()
    np.testing.assert_allclose(track.body[3:, B["right_elbow"], :2],
                               gt.joints_2d[3:, J["ElbowRight"]], atol=2e-3)
    np.testing.assert_allclose(track.body_3d[3:, B["head"]], gt.joints_3d[3:, J["Head"]],
                               atol=1e-4)


def test_kinect_bad_inputs_name_file_and_row(phantom: Manifest, tmp_path: Path,
                                             ictal: Ictal) -> None:
    path, gt = _with_joints(phantom, tmp_path)
    joints = path.parent / "joints.csv"
    lines = joints.read_text().splitlines()
    # a row with a column too few
    joints.write_text("\n".join([*lines[:5], lines[5].rsplit(",", 1)[0], *lines[6:]]) + "\n")
    r = ictal("keypoints", path, "--out", tmp_path / "store", "--source", "kinect")
    assert r.code == 2
    assert "joints.csv: row 6 has 150 columns, expected 151" in r.text
    assert not list((tmp_path / "store").glob("*.h5"))  # the other recording has no joints
    # NaN
    bad = lines[7].split(",")
    bad[3] = "nan"
    joints.write_text("\n".join([*lines[:7], ",".join(bad), *lines[8:]]) + "\n")
    with pytest.raises(KeypointInputError, match="row 8: NaN or infinite value in SpineBase_z"):
        KinectSource()(load_manifest(path), load_manifest(path).recordings[0])
    # a joints stream longer than the video
    extra = lines[-1].split(",")
    extra[0] = str(gt.n_frames)
    joints.write_text("\n".join([*lines, ",".join(extra)]) + "\n")
    with pytest.raises(KeypointInputError, match=f"row {len(lines) + 1}: frame {gt.n_frames} is "
                                                 "beyond the video"):
        KinectSource()(load_manifest(path), load_manifest(path).recordings[0])
    # a joints stream declared with another length
    path2, _ = _with_joints(phantom, tmp_path / "b", n_frames=gt.n_frames + 4)
    with pytest.raises(KeypointInputError, match=f"declares {gt.n_frames + 4} frames"):
        KinectSource()(load_manifest(path2), load_manifest(path2).recordings[0])


# ---- other tools' files -----------------------------------------------------------------------
def test_movenet_csv_and_npy(phantom: Manifest, tmp_path: Path) -> None:
    gt = _gt(phantom)
    coco = _coco(gt)
    yxs = np.stack([(coco[..., 1] + 0.5) / gt.height, (coco[..., 0] + 0.5) / gt.width,
                    coco[..., 2]], -1)
    np.savetxt(tmp_path / f"{gt.recording}.csv", yxs.reshape(len(yxs), 51), delimiter=",",
               fmt="%.7f")
    track = FileSource(tmp_path, "movenet")(phantom, phantom.recordings[0])
    np.testing.assert_allclose(track.body[..., :2], _expected_body(gt), atol=2e-3)
    assert track.attrs["mapping"] == "coco17"
    (tmp_path / f"{gt.recording}.csv").unlink()
    np.save(tmp_path / f"{gt.recording}.npy", yxs[:, None, None].astype(np.float32))
    again = FileSource(tmp_path, "movenet")(phantom, phantom.recordings[0])
    np.testing.assert_allclose(again.body[..., :2], _expected_body(gt), atol=2e-3)


def test_mediapipe_csv_with_frame_and_time_columns(phantom: Manifest, tmp_path: Path) -> None:
    gt = _gt(phantom)
    T = gt.n_frames
    lm = np.zeros((T, 33, 4))
    lm[..., 3] = 0.9
    pairs = {7: "Head", 8: "Head", 11: "ShoulderLeft", 12: "ShoulderRight", 13: "ElbowLeft",
             14: "ElbowRight", 15: "WristLeft", 16: "WristRight", 23: "HipLeft", 24: "HipRight"}
    for k, name in pairs.items():
        lm[:, k, 0] = (gt.joints_2d[:, J[name], 0] + 0.5) / gt.width
        lm[:, k, 1] = (gt.joints_2d[:, J[name], 1] + 0.5) / gt.height
    keep = np.arange(0, T, 2)  # every other frame
    times = keep / 30.0
    header = "frame,t," + ",".join(f"v{i}" for i in range(132))
    np.savetxt(tmp_path / f"{gt.recording}.csv",
               np.column_stack([keep, times, lm[keep].reshape(len(keep), -1)]), delimiter=",",
               header=header, comments="", fmt="%.7f")
    track = FileSource(tmp_path, "mediapipe")(phantom, phantom.recordings[0])
    assert (track.body[1::2, :, 2] == 0).all()  # frames not in the file are gaps
    np.testing.assert_allclose(track.body[keep][:, B["left_wrist"], :2],
                               gt.joints_2d[keep][:, J["WristLeft"]], atol=2e-3)
    np.testing.assert_allclose(track.body[keep][..., 2], 0.9, atol=1e-6)


def test_openpose_folder_follows_the_patient_not_the_nurse(phantom: Manifest,
                                                           tmp_path: Path) -> None:
    gt = _gt(phantom)
    folder = tmp_path / gt.recording
    folder.mkdir()
    coco = _coco(gt)
    for f in range(gt.n_frames):
        body = np.zeros((25, 3))
        # BODY_25 from the COCO fake: ears 17 (R) / 18 (L), shoulders 5 (L) / 2 (R) ...
        for op, cc in ((18, 3), (17, 4), (5, 5), (2, 6), (6, 7), (3, 8), (7, 9), (4, 10),
                       (12, 11), (9, 12)):
            body[op] = coco[f, cc]
        body[1] = (coco[f, 5] + coco[f, 6]) / 2
        body[8] = (coco[f, 11] + coco[f, 12]) / 2
        nurse = body.copy()
        nurse[:, 0] = gt.width - 1 - nurse[:, 0] + 40  # somewhere else, more confident
        nurse[:, 2] = np.where(body[:, 2] > 0, 0.99, 0)
        people = [{"pose_keypoints_2d": body.ravel().tolist()}]
        people.insert(0 if f % 2 else 1, {"pose_keypoints_2d": nurse.ravel().tolist(),
                                          "face_keypoints_2d": []})
        if f == 0:
            people = people[1:] if f % 2 else people[:1]  # the patient alone first
        (folder / f"video_{f:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    track = FileSource(tmp_path, "openpose")(phantom, phantom.recordings[0])
    want = gt.joints_2d[:, J["WristRight"]]
    np.testing.assert_allclose(track.body[:, B["right_wrist"], :2], want, atol=1e-3)


def test_mmpose_wholebody_json_gives_body_and_face(phantom: Manifest, tmp_path: Path) -> None:
    gt = _gt(phantom)
    coco = _coco(gt)
    records = []
    for f in range(gt.n_frames):
        pts = np.zeros((133, 3))
        pts[:17] = coco[f]
        pts[23:91, :2] = gt.joints_2d[f, J["Head"]] + np.arange(68)[:, None] * 0.01
        pts[23:91, 2] = 0.7
        records.append({"frame_id": f, "instances": [
            {"keypoints": pts[:, :2].tolist(), "keypoint_scores": pts[:, 2].tolist()}]})
    (tmp_path / f"{gt.recording}.json").write_text(json.dumps(records))
    track = FileSource(tmp_path, "mmpose")(phantom, phantom.recordings[0])
    np.testing.assert_allclose(track.body[..., :2], _expected_body(gt), atol=1e-3)
    # nose tip = the 68-point layout's point 30
    np.testing.assert_allclose(track.face[:, 15, 0], gt.joints_2d[:, J["Head"], 0] + 0.30,
                               atol=1e-4)
    np.testing.assert_allclose(track.face[..., 2], 0.7, atol=1e-6)


def _movenet_rows(gt: GroundTruth) -> list[str]:
    coco = _coco(gt)
    yxs = np.stack([coco[..., 1] / gt.height, coco[..., 0] / gt.width, coco[..., 2]], -1)
    return [",".join(f"{v:.5f}" for v in row) for row in yxs.reshape(len(yxs), 51)]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda rows: [*rows[:4], rows[4] + ",0.5", *rows[5:]],
     "row 5 has 52 columns, expected 51"),
    (lambda rows: [*rows[:9], ",".join(["nan"] * 51), *rows[10:]],
     "row 10: NaN or infinite value"),
    (lambda rows: ["t," + ",".join(f"v{i}" for i in range(51))]
     + [f"{k / 30 + (0.5 / 30 if k == 6 else 0):.6f}," + r for k, r in enumerate(rows)],
     "row 8: t = 0.216667 s falls between frames of the 30 fps video"),
    (lambda rows: ["frame,t," + ",".join(f"v{i}" for i in range(51))]
     + [f"{k},{k / 25:.6f}," + r for k, r in enumerate(rows)],
     "row 4: t = 0.08 s does not match frame 2 (0.0667 s at 30 fps)"),
    (lambda rows: rows + rows[:3], "row 119: frame 118 (t = 3.933 s) is beyond the video"),
])
def test_bad_keypoint_files_exit_2_naming_file_and_row(phantom: Manifest, tmp_path: Path,
                                                        ictal: Ictal, edit, message: str) -> None:
    gt = _gt(phantom)
    files = tmp_path / "files"
    files.mkdir()
    (files / f"{gt.recording}.csv").write_text("\n".join(edit(_movenet_rows(gt))) + "\n")
    other = _gt(phantom, 1)
    (files / f"{other.recording}.csv").write_text("\n".join(_movenet_rows(other)) + "\n")
    store = tmp_path / "store"
    r = ictal("keypoints", Path(phantom.root) / "manifest.yaml", "--out", store,
              "--source", "file", "--files", files, "--format", "movenet")
    assert r.code == 2, r.text
    assert f"{gt.recording}.csv: {message}" in r.out, r.out
    # nothing of the bad recording, the good one done
    assert sorted(p.name for p in store.iterdir()) == [f"{other.recording}.h5"]


# ---- the command ------------------------------------------------------------------------------
def test_cli_phantom_store_resumes_and_refuses_another_source(phantom: Manifest, tmp_path: Path,
                                                              ictal: Ictal) -> None:
    manifest = Path(phantom.root) / "manifest.yaml"
    store = tmp_path / "store"
    r = ictal("keypoints", manifest, "--out", store, "--source", "phantom")
    assert r.code == 0, r.text
    assert "2 done, 0 skipped, 0 failed" in r.text
    tracks = read_store(store)
    assert set(tracks) == {rec.id for rec in phantom.recordings}
    t = tracks[phantom.recordings[0].id]
    assert t.attrs["source"] == "phantom" and t.attrs["body_joints"] == list(BODY_JOINTS)
    # what the web platform checks an import against: the files it was computed on
    rec = phantom.recordings[0]
    src = t.attrs["recording_source"]
    assert src["recording"] == rec.id and src["duration"] == pytest.approx(rec.duration)
    assert [s["fingerprint"] for s in src["streams"]] == [
        file_fingerprint(phantom.resolve(s)) for s in rec.streams]
    again = ictal("keypoints", manifest, "--out", store, "--source", "phantom")
    assert "0 done, 2 skipped" in again.text
    r = ictal("keypoints", manifest, "--out", store, "--source", "kinect")
    assert r.code == 2 and "made by another source" in r.text
    assert read_track(store / f"{phantom.recordings[0].id}.h5").attrs["source"] == "phantom"
