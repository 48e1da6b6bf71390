with final as (
select customer_id, kyc_result, provider, checked_at, kyc_result <> 'clear' as needs_review from {{ ref('int_kyc_latest') }}
)
select
    cast(customer_id as number(38,0)) as customer_id,
    cast(kyc_result as varchar) as kyc_result,
    cast(provider as varchar) as provider,
    cast(checked_at as timestamp_ntz) as checked_at,
    cast(needs_review as boolean) as needs_review
from final
