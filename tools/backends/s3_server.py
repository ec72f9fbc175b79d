"""An S3-compatible server on loopback: moto in server mode (``moto_server``).

    s3 = S3Server(directory); s3.start(); s3.info['endpoint_url']; s3.stop()

moto keeps everything in memory and accepts any credentials; ``info`` carries a fixed access
key / secret key and region for clients that need some. It is slow (about 35 MB/s here) but
speaks S3's REST API with multipart uploads, ranged GETs and signature v4, which is what a
store driver uses. ``moto[server]`` is in the ``test`` extra.
"""


from tools.backends.common import HOST
from tools.backends.common import OneProcessServer
from tools.backends.common import http_status
from tools.backends.common import venv_bin

START_TIMEOUT_SECONDS = 60
ACCESS_KEY = 'glimpse-test-access'
SECRET_KEY = 'glimpse-test-secret'
REGION = 'us-east-1'


class S3Server(OneProcessServer):
    def start(self, timeout=START_TIMEOUT_SECONDS):
        self.dir.mkdir(parents=True, exist_ok=True)
        self._start_process('moto', [venv_bin('moto_server'), '-H', HOST, '-p', str(self.port)],
                            self.dir / 'moto-server.log',
                            lambda: http_status(f'{self.url}/moto-api/') == 200, 'moto_server',
                            timeout)
        self.info = {'endpoint_url': self.url, 'access_key': ACCESS_KEY,
                     'secret_key': SECRET_KEY, 'region': REGION, 'port': self.port,
                     'server': 'moto', 'log': str(self.dir / 'moto-server.log'),
                     'startup_seconds': self.startup_seconds}
        return self.info
