"""Per-topic mastery: a moving average over finished attempts, drawn as an SVG polyline."""
from __future__ import annotations

from typing import Any

from questions.quizzes import mastery, services
from questions.quizzes.builder import QuizSpec

EASY_KV = QuizSpec(topics=("kv-cache",), difficulties=("easy",), count=1)


def _take(owner: Any, bank: Any, right: bool, clock: Any) -> None:
    attempt = services.start_attempt(owner, EASY_KV)
    choice = bank.correct_ids(bank.single)[0] if right else bank.wrong_id(bank.single)
    services.save_answer(owner, attempt.pk, 1, bank.token(attempt, choice))
    services.finish(owner, attempt.pk)
    clock.advance(days=1)


def test_mastery_moves_halfway_towards_each_result(quiz_bank: Any, visitor: Any, frozen_clock: Any) -> None:
    for right in (False, True, True):
        _take(visitor, quiz_bank, right, frozen_clock)
    [(topic, points)] = mastery.mastery_series(visitor).items()
    assert topic == "KV caching"
    assert [round(value, 3) for _, value in points] == [0.0, 0.5, 0.75]
    [chart] = mastery.topic_charts(visitor)
    assert chart.latest_percent == 75
    first, *_, last = chart.polyline.split()
    assert first == f"{mastery.PAD:.1f},{mastery.HEIGHT - mastery.PAD:.1f}"  # 0% at the bottom left
    assert last.startswith(f"{mastery.WIDTH - mastery.PAD:.1f},")


def test_unfinished_and_other_peoples_attempts_do_not_count(quiz_bank: Any, visitor: Any, alice_owner: Any,
                                                            frozen_clock: Any) -> None:
    _take(alice_owner, quiz_bank, True, frozen_clock)
    services.start_attempt(visitor, EASY_KV)
    assert mastery.mastery_series(visitor) == {}
    assert mastery.mastery_series(None) == {}


def test_a_single_attempt_draws_a_flat_line() -> None:
    assert len(mastery.polyline([0.5]).split()) == 2
    assert mastery.polyline([]) == ""
