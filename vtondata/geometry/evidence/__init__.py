"""Evidence layers drawn from landmarks: face, hands, feet, hair and skin.

Each module turns what a landmark model found (a face mesh, hand landmarks,
the 33 MediaPipe pose landmarks, the person silhouette) into one ``HxW`` bool
layer, as a pure function of arrays: no model, no I/O. :mod:`.layers` runs
them in order for one photo. Landmarks are ``(N, 3)`` float32 rows ``(x_px,
y_px, visibility)`` in pixels of the stored image; points may lie outside
the frame (a face cut by the top edge).
"""
