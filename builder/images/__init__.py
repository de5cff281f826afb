"""Image helpers shared by the image sources, transforms and export: verification with Pillow
(`check`), exact and perceptual hashes (`hashing`), re-encoding (`codec`).

Images travel through the stages as their encoded bytes (an Arrow `binary` column, Python
`bytes` in a pandas batch), never as decoded pixels: a partition holds what the files hold.
"""
