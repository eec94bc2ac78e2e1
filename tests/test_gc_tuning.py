"""crawler.extensions.GcTuning: the crawl process's garbage collector (Scrapy's test
crawler, its real signals, the interpreter's real collector)."""

import gc

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions import GcTuning
from crawler.spiders.bare import BareSpider
from crawler.spiders.union import UnionSpider


def test_collector_is_tuned_while_the_engine_runs_and_restored_after():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    crawler = get_crawler(UnionSpider, {"UNION_GC_THRESHOLD": "5000,10,10"})
    ext = GcTuning.from_crawler(crawler)
    try:
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_threshold() == (5000, 10, 10)
        assert gc.get_freeze_count() > frozen  # what existed at the start: never scanned again
        junk = []
        junk.append(junk)  # a cycle made during the crawl is still collected
        del junk
        assert gc.collect() >= 1
    finally:
        crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert ext.threshold == (5000, 10, 10)


@pytest.mark.parametrize("value", ["", None, "0,10,10", "a,b", "1,2,3,4"])
def test_off_or_refused_values_leave_the_collector_alone(value):
    crawler = get_crawler(UnionSpider, {"UNION_GC_THRESHOLD": value})
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(crawler)


def test_shipped_for_the_archiving_crawl_not_for_the_bare_benchmark_spider():
    from crawler import settings

    assert settings.EXTENSIONS["crawler.extensions.GcTuning"] and settings.UNION_GC_THRESHOLD
    assert BareSpider.custom_settings["EXTENSIONS"]["crawler.extensions.GcTuning"] is None
