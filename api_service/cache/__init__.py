"""The image cache of one glance-api node (``[DEFAULT] image_cache_dir``).

disk.py keeps the files (fill while streaming, atomic publish), pruning.py chooses what
goes when the cache is over its size, records.py keeps the registry's record of what this
node holds (hits, sizes) and service.py is the work behind the /v2/cache API.
"""
