"""Read a subunit v2 stream on stdin; print passed / failed / skipped with one line each.

Run by the tempest venv's python (it has python-subunit and testtools):
    stestr last --subunit | python summarize.py
Exit status: 1 when a test failed, else 0.
"""

import sys

import subunit
import testtools

# Tempest's class-level fixtures that break report as pseudo tests ("setUpClass (...)").
FAILED = {'fail', 'uxsuccess'}


def _reason(details, status):
    if status == 'skip' and 'reason' in details:
        return details['reason'].as_text().strip()
    text = ''
    for name in ('traceback', 'reason'):
        if name in details:
            text = details[name].as_text().strip()
            break
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else status


def main():
    results = []
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
    to_dict = testtools.StreamToDict(results.append)
    to_dict.startTestRun()
    stream.run(to_dict)
    to_dict.stopTestRun()

    by_status = {'success': [], 'fail': [], 'skip': []}
    for test in results:
        status = test['status']
        if status in ('exists', 'inprogress', None):
            continue
        key = 'fail' if status in FAILED else status if status in by_status else 'fail'
        by_status[key].append((test['id'].split('[')[0], _reason(test['details'], status)))

    print(f'tempest.api.image: {len(by_status["success"])} passed, '
          f'{len(by_status["fail"])} failed, {len(by_status["skip"])} skipped')
    for label, key in (('FAILED', 'fail'), ('SKIPPED', 'skip')):
        for test_id, reason in sorted(by_status[key]):
            print(f'{label} {test_id}: {reason}')
    return 1 if by_status['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
