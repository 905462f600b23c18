from cases import policies


def test_cast_builds_and_policies_separate_the_parties(cast):
    assert cast.case.owner == cast.owner
    assert cast.case.reference.startswith("CS-")
    assert policies.can_view_case(cast.customer.user, cast.case)
    assert policies.can_view_case(cast.delegate, cast.case)
    assert not policies.can_view_case(cast.other_customer.user, cast.case)
    assert not policies.can_view_case(cast.contractor_user, cast.case)
    assert policies.jobs_visible_to(cast.contractor_user).filter(pk=cast.job.pk).exists()
    assert not policies.jobs_visible_to(cast.other_contractor_user).filter(pk=cast.job.pk).exists()
